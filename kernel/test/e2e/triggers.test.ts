// Triggers through a real dispatcher: a time trigger dispatches the lattice again on its period, a
// directory trigger when files change there (a burst of changes once), each triggered dispatch is a
// normal one linked to its trigger; a stopped trigger fires no more; triggers start again with the
// dispatcher (the same data directory); what cannot run is refused at dispatch; deleting the
// dispatch deletes its triggers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import * as ct from "valence-workflows";
import { deleteDispatches } from "#src/client/api.js";
import { eventually, forgetDispatcher, pointClientAt, temporaryDir } from "../support/dispatcher.ts";

const double = ct.electron(function double(x: number) {
  return 2 * x;
});
const doubled = ct.lattice(function doubled(x: number) {
  return double(x);
});

async function triggered(triggerId: string): Promise<ct.DispatchSummary[]> {
  const all = await ct.listDispatches({ latticeName: "doubled", limit: 1000 });
  return all.filter((d) => d.triggerId === triggerId);
}

async function withDispatcher<T>(dataDir: string, body: () => Promise<T>): Promise<T> {
  const dispatcher = await ct.startDispatcher({ dataDir, publish: false });
  pointClientAt(dispatcher);
  try {
    return await body();
  } finally {
    await dispatcher.close();
    forgetDispatcher();
  }
}

test("a time trigger dispatches the lattice again on its period until stopped, and starts again with the dispatcher", async () => {
  const dataDir = temporaryDir("valence-triggers-");
  const { source, triggerId } = await withDispatcher(dataDir, async () => {
    const first = await ct.dispatch(doubled, { triggers: [ct.timeTrigger({ everyMs: 300 })] })(21);
    const [trigger] = await ct.listTriggers({ dispatchId: first.id });
    assert.ok(trigger, "the dispatch has its trigger");
    assert.deepEqual(trigger.trigger, { kind: "time", everyMs: 300 });
    const made = await eventually(async () => {
      const runs = await triggered(trigger.id);
      return runs.filter((d) => d.status === "COMPLETED").length >= 2 ? runs : undefined;
    });
    for (const run of made.filter((d) => d.status === "COMPLETED")) {
      assert.equal((await ct.getResult(run.id)).result, 42, "the same lattice and arguments");
    }
    const after = (await ct.listTriggers({ dispatchId: first.id }))[0]!;
    assert.ok(after.fired >= 2 && after.lastDispatchId !== undefined && after.lastFiredAt !== undefined);
    return { source: first.id, triggerId: trigger.id };
  });
  // Restarted on the same data directory, the trigger runs again.
  await withDispatcher(dataDir, async () => {
    const before = (await triggered(triggerId)).length;
    await eventually(async () => ((await triggered(triggerId)).length > before ? true : undefined));
    const stopped = await ct.stopTrigger(triggerId);
    assert.ok(stopped.stoppedAt !== undefined);
    await new Promise((r) => setTimeout(r, 300)); // a dispatch it made just before may still be starting
    const count = (await triggered(triggerId)).length;
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal((await triggered(triggerId)).length, count, "a stopped trigger fires no more");
    assert.deepEqual(await ct.listTriggers({ dispatchId: source }), [], "not listed as running");
    assert.equal((await ct.listTriggers({ dispatchId: source, all: true })).length, 1, "listed with all");
    await assert.rejects(ct.stopTrigger("no-such-trigger"), /no trigger with id "no-such-trigger"/);
  });
});

test("a directory trigger dispatches again once a burst of changes there has quieted", async () => {
  const dataDir = temporaryDir("valence-triggers-dir-");
  const watched = temporaryDir("valence-watched-");
  await withDispatcher(dataDir, async () => {
    const first = await ct.dispatch(doubled, { triggers: [ct.dirTrigger(watched, { debounceMs: 400 })] })(5);
    const [trigger] = await ct.listTriggers({ dispatchId: first.id });
    await new Promise((r) => setTimeout(r, 300)); // the watcher is ready
    for (let i = 0; i < 3; i++) writeFileSync(join(watched, `file-${i}.csv`), `row ${i}\n`);
    const runs = await eventually(async () => {
      const made = await triggered(trigger!.id);
      return made.length ? made : undefined;
    });
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal((await triggered(trigger!.id)).length, 1, "one dispatch for the burst");
    assert.equal((await ct.getResult(runs[0]!.id, { wait: true })).result, 10);
    // Deleting the dispatch deletes its trigger: nothing fires for it any more.
    await ct.getResult(first, { wait: true });
    await deleteDispatches([first.id]);
    assert.deepEqual(await ct.listTriggers({ all: true }), []);
    writeFileSync(join(watched, "late.csv"), "late\n");
    await new Promise((r) => setTimeout(r, 1200));
    assert.equal((await triggered(trigger!.id)).length, 1, "no dispatch after its source was deleted");
  });
});

test("a trigger that cannot run is refused at dispatch, naming the problem", async () => {
  await withDispatcher(temporaryDir("valence-triggers-bad-"), async () => {
    await assert.rejects(
      ct.dispatch(doubled, { triggers: [ct.timeTrigger({ cron: "every tuesday" })] })(1),
      /triggers\[0\]: timeTrigger cron "every tuesday"/,
    );
    await assert.rejects(
      ct.dispatch(doubled, { triggers: [ct.dirTrigger("/no/such/valence/dir")] })(1),
      /triggers\[0\]: dirTrigger: \/no\/such\/valence\/dir is not a directory on the dispatcher's machine/,
    );
    assert.throws(() => ct.timeTrigger({ everyMs: 5 }), /everyMs is 5; 100 at least/);
    assert.equal((await ct.listDispatches({ latticeName: "doubled" })).length, 0, "nothing was dispatched");
  });
});
