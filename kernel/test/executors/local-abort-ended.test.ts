// A cancel (or a timeout) that reaches the local pool after the worker ran the task, while its outcome
// is still on its way: the task had ended, so its outcome stands, and the step after it in a chain
// (which the worker goes on with) runs as it should. It was rejected as cancelled while its follow-up
// ran anyway: the dispatcher showed that follow-up RUNNING in a dispatch that had ended CANCELLED.
import { test } from "node:test";
import assert from "node:assert/strict";
import { deserialize } from "node:v8";
import * as ct from "valence-workflows";
import { testJob, workerGivingBack, refuseGiveBack, type TestJob } from "../support/pooled-job.ts";
import { type TaskOutcome } from "#src/executors/index.js";
import { taskSpecFor } from "#src/testing/index.js";
import { PooledWorker } from "#src/executors/pooled-worker.js";
import { DONE, STARTED } from "#src/executors/local-protocol.js";

const act = ct.electron(function act(kind: string) {
  if (kind === "busy") {
    // Synchronous: the worker holds the outcome of the task before it until this one ends.
    const end = Date.now() + 300;
    while (Date.now() < end);
  }
  return kind;
});

const valueOf = (outcome: TaskOutcome): unknown => {
  if (!outcome.ok) assert.fail(`${outcome.error.name}: ${outcome.error.message}`);
  return deserialize(outcome.output);
};

test("a task cancelled after it ran, its outcome not sent yet, completes, and so does the step after it", async () => {
  const worker = new PooledWorker(
    256,
    () => undefined,
    () => undefined,
    refuseGiveBack,
  );
  try {
    const warm = testJob(taskSpecFor(act, ["warm"]));
    worker.run([warm]);
    assert.equal(valueOf(await warm.outcome), "warm");
    const first = testJob(taskSpecFor(act, ["first"]));
    const next = testJob(taskSpecFor(act, ["busy"]), []); // a follow-up that only waits for `first`
    const base = worker.run([first, next]);
    const control = (worker as unknown as { control: Int32Array }).control;
    const deadline = Date.now() + 5000;
    while (Atomics.load(control, base) !== DONE && Date.now() < deadline);
    assert.equal(Atomics.load(control, base), DONE, "the worker ran the first task");
    worker.abort(base, new Error("cancelled after the task ended"));
    assert.equal(valueOf(await first.outcome), "first", "the task had ended: its outcome stands");
    assert.equal(valueOf(await next.outcome), "busy");
  } finally {
    await worker.stop(new Error("test over"));
  }
});

/** A warm worker given [ran, busy]: returns once `ran` has ended (its outcome held while `busy` runs). */
async function ranThenBusy(worker: PooledWorker<TestJob>): Promise<{ ran: TestJob; busy: TestJob; base: number }> {
  const warm = testJob(taskSpecFor(act, ["warm"]));
  worker.run([warm]);
  assert.equal(valueOf(await warm.outcome), "warm");
  const ran = testJob(taskSpecFor(act, ["ran"]));
  const busy = testJob(taskSpecFor(act, ["busy"]));
  const base = worker.run([ran, busy]);
  const control = (worker as unknown as { control: Int32Array }).control;
  const deadline = Date.now() + 5000;
  while (Atomics.load(control, base) !== DONE && Date.now() < deadline);
  assert.equal(Atomics.load(control, base), DONE, "the worker ran the first task");
  return { ran, busy, base };
}

test("a task aborted after it ran is not given back to run again when its worker is then terminated", async () => {
  const { worker, givenBack: exit } = workerGivingBack();
  const { ran, busy, base } = await ranThenBusy(worker);
  // The whole dispatch is cancelled: the task that ran (outcome held), then the one running.
  worker.abort(base, new Error("cancelled"));
  worker.abort(base + 1, new Error("cancelled"));
  await assert.rejects(busy.outcome, /cancelled/);
  const outcome = await Promise.race([
    ran.outcome.then(
      () => "settled",
      () => "rejected",
    ),
    exit.then(() => "exited"),
  ]);
  assert.notEqual(outcome, "exited", "settled before the worker's end gave anything back");
  assert.deepEqual(await exit, [], "nothing is given back to run again");
});

test("a task that ran just before another one was aborted on the same worker completes, and is not run again", async () => {
  const { worker, givenBack: exit } = workerGivingBack();
  // Two dispatches' tasks in one batch: only the busy one (say, of a dispatch being cancelled) is aborted.
  const { ran, busy, base } = await ranThenBusy(worker);
  worker.abort(base + 1, new Error("cancelled"));
  await assert.rejects(busy.outcome, /cancelled/);
  assert.equal(valueOf(await ran.outcome), "ran", "it had ended: its outcome stands");
  assert.deepEqual(await exit, [], "nothing that ran is given back to run again");
});

test("an abort whose task ends while the others are being held lets the next task run, and gives back the held one", async () => {
  const given: TestJob[] = [];
  const worker = new PooledWorker<TestJob>(
    256,
    () => undefined,
    () => undefined,
    (_w, held) => given.push(...held),
  );
  const control = (worker as unknown as { control: Int32Array }).control;
  const compareExchange = Atomics.compareExchange;
  try {
    const warm = testJob(taskSpecFor(act, ["warm"]));
    worker.run([warm]);
    assert.equal(valueOf(await warm.outcome), "warm");
    const first = testJob(taskSpecFor(act, ["first"]));
    const next = testJob(taskSpecFor(act, ["busy"]));
    const last = testJob(taskSpecFor(act, ["last"]));
    const base = worker.run([first, next, last]);
    // The race, made certain: the abort finds `first` running, and before it holds the others the
    // worker ends `first` and starts `next` (a second thread may do that between any two steps).
    let raced = false;
    Atomics.compareExchange = ((array: Int32Array, index: number, expected: number, replacement: number) => {
      const found = compareExchange(array, index, expected, replacement);
      if (!raced && array === control && index === base) {
        raced = true;
        const deadline = Date.now() + 5000;
        while (Atomics.load(control, base + 1) !== STARTED && Date.now() < deadline);
      }
      return found;
    }) as typeof Atomics.compareExchange;
    const deadline = Date.now() + 5000;
    while (Atomics.load(control, base) !== STARTED && Date.now() < deadline);
    worker.abort(base, new Error("cancelled"));
    Atomics.compareExchange = compareExchange;
    assert.ok(raced);
    assert.equal(valueOf(await first.outcome), "first", "it had ended: its outcome stands");
    assert.equal(valueOf(await next.outcome), "busy", "the task the worker went on with was not stopped");
    // `last` was held while `next` ran: the worker skipped it or ran it once it was let go, not both.
    const ran = await Promise.race([last.outcome.then(valueOf), new Promise((r) => setTimeout(r, 500, "given"))]);
    assert.deepEqual(ran === "given" ? given : [], ran === "given" ? [last] : [], `last: ${String(ran)}`);
    assert.equal(worker.dead, false, "the worker was not terminated");
  } finally {
    Atomics.compareExchange = compareExchange;
    await worker.stop(new Error("test over"));
  }
});
