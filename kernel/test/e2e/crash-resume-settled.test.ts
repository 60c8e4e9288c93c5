import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import * as ct from "valence-workflows";
import { eventually, temporaryDir } from "../support/dispatcher.ts";
import { forgetDispatcher, startDispatcherProcess, type DispatcherProcess } from "../support/processes.ts";

// Each call appends its label to a log (the log counts runs), sleeps, then fails or returns its label.
const step = ct.electron(async function step(log: string, label: string, ms: number, fails: boolean, _after?: unknown) {
  appendFileSync(log, `${label}\n`);
  await new Promise((resolve) => setTimeout(resolve, ms));
  if (fails) throw new Error(`${label} fails`);
  return label;
});
const later = ct.electron(function later(log: string, _after: unknown) {
  appendFileSync(log, "later\n");
  return "later";
});
// A sublattice whose first task completes and whose second fails: the child dispatch fails.
const inner = ct.electron(
  ct.lattice(
    function inner(log: string) {
      return step(log, "inner-fails", 0, true, step(log, "inner-ok", 0, false));
    },
    { name: "inner" },
  ),
);
const flow = ct.lattice(function flow(log: string) {
  const slow = step(log, "slow", 2500, false);
  return { fails: step(log, "fails", 0, true), sub: inner(log), slow, later: later(log, slow) };
});

/** No task here uses the bullmq executor: the dispatcher never connects to this. */
const NO_REDIS = "redis://127.0.0.1:1";

test("after kill -9 of the dispatcher, nodes that had failed or that the user cancelled do not run again at the restart", async () => {
  const dataDir = temporaryDir();
  const log = join(dataDir, "runs.log");
  let dispatcher: DispatcherProcess = await startDispatcherProcess(dataDir, NO_REDIS);
  try {
    dispatcher.use();
    const graph = flow.build(log);
    const id = (name: string): number => graph.nodes.find((n) => n.name === name)!.id;
    const dispatch = await ct.dispatch(flow)(log);
    // `later` waits for `slow`: the user cancels it meanwhile.
    await ct.cancel(dispatch, [id("later")]);
    // Once `fails` and the sublattice failed (its first task completed), the dispatcher dies mid-run.
    const failed = await eventually(async () => {
      const result = await ct.getResult(dispatch);
      const status = (nodeId: number) => result.nodes.find((n) => n.id === nodeId)!.status;
      const done = status(id("later")) === "CANCELLED" && status(id("inner")) === "FAILED";
      return done && result.nodes.filter((n) => n.status === "FAILED").length === 2 ? result : undefined;
    });
    assert.equal(failed.status, "RUNNING", "`slow` still runs");
    await dispatcher.kill();

    dispatcher = await startDispatcherProcess(dataDir, NO_REDIS);
    dispatcher.use();
    const result = await ct.getResult(dispatch, { wait: true, timeoutMs: 20_000 });
    assert.equal(result.status, "FAILED", String(result));
    const statuses = Object.fromEntries(
      ["inner", "later"].map((name) => [name, result.nodes.find((n) => n.id === id(name))!.status]),
    );
    assert.deepEqual(statuses, { inner: "FAILED", later: "CANCELLED" });
    const runs = existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : [];
    const count = (label: string): number => runs.filter((r) => r === label).length;
    // What had ended before the kill ran once: the failed task, the failed sublattice's tasks (no
    // second child dispatch reran the one that completed); the cancelled one never ran.
    assert.deepEqual(
      {
        fails: count("fails"),
        "inner-ok": count("inner-ok"),
        "inner-fails": count("inner-fails"),
        later: count("later"),
      },
      { fails: 1, "inner-ok": 1, "inner-fails": 1, later: 0 },
      `runs: ${runs}`,
    );
    assert.ok(count("slow") >= 1, "`slow`, running at the kill, ran again to completion");
    const children = (await ct.listDispatches()).filter((d) => d.parentId === dispatch.id);
    assert.equal(children.length, 1, "one child dispatch");
  } finally {
    forgetDispatcher();
    await dispatcher.kill();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
