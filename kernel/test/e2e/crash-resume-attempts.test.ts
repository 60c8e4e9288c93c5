// Attempts across a kill -9 of the dispatcher: the failed ones stay counted, the one in flight runs
// again under its own number and its logs say so (the attempts a node shows are the ones it made).
import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import * as ct from "valence-workflows";
import { eventually, temporaryDir } from "../support/dispatcher.ts";
import { forgetDispatcher, startDispatcherProcess, type DispatcherProcess } from "../support/processes.ts";

// Attempts 1 and 2 fail at once; attempt 3 takes 3 s and succeeds. Each attempt logs its number first.
const flaky = ct.electron(
  async function flaky(log: string) {
    const { attempt } = ct.taskContext();
    appendFileSync(log, `${attempt}\n`);
    if (attempt < 3) throw new Error(`attempt ${attempt} fails`);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    return attempt;
  },
  { retries: 3 },
);
const flow = ct.lattice(function flow(log: string) {
  return flaky(log);
});

/** No task here uses the bullmq executor: the dispatcher never connects to this. */
const NO_REDIS = "redis://127.0.0.1:1";

test("a task retried before a kill -9 of the dispatcher keeps its failed attempts; the attempt in flight runs again under its number and says so", async () => {
  const dataDir = temporaryDir();
  const log = join(dataDir, "attempts.log");
  let dispatcher: DispatcherProcess = await startDispatcherProcess(dataDir, NO_REDIS);
  try {
    dispatcher.use();
    const dispatch = await ct.dispatch(flow)(log);
    const node = flow.build(log).nodes.find((n) => n.name === "flaky")!.id;
    await eventually(async () => {
      const state = (await ct.getResult(dispatch)).nodes.find((n) => n.id === node)!;
      return state.status === "RUNNING" && state.attempts === 3 ? state : undefined;
    });
    await dispatcher.kill();

    dispatcher = await startDispatcherProcess(dataDir, NO_REDIS);
    dispatcher.use();
    const result = await ct.getResult(dispatch, { wait: true, timeoutMs: 30_000 });
    assert.equal(result.status, "COMPLETED", String(result));
    assert.equal(result.result, 3, "the attempt that succeeded is attempt 3");
    const detail = await result.getNodeResult(node);
    assert.equal(detail.attempts, 3);
    const starts = readFileSync(log, "utf8").trim().split("\n").map(Number);
    assert.deepEqual(starts, [1, 2, 3, 3], "attempts 1 and 2 failed before the kill and did not run again");
    const said = detail.logs.filter((l) => l.text.includes("was running when the dispatcher stopped"));
    assert.equal(said.length, 1, JSON.stringify(detail.logs));
    assert.match(said[0]!.text, /attempt 3 was running when the dispatcher stopped; it runs again/);
  } finally {
    forgetDispatcher();
    await dispatcher.kill();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
