import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { hostname } from "node:os";
import * as ct from "valence-workflows";
import type { Executor, TaskOutcome } from "#src/executors/index.js";
import { BullMQExecutor } from "#src/executors/bullmq/index.js";
import { prepareData, processData } from "../../../examples/seed-lattice.ts";
import { temporaryDir } from "../support/dispatcher.ts";
import { startScaleOutDispatcher, stopScaleOutDispatcher } from "./dispatcher.ts";
import { startRedis, type RunningRedis } from "../support/redis.ts";
import { startWorker, type SpawnedWorker } from "./workers.ts";

// A dispatcher with a bullmq executor next to local and inline, and two real `valence worker`s:
// lattices whose electrons say `executor: "bullmq"` run on the workers, the DAG stays here.
let redis: RunningRedis | undefined;
let workers: SpawnedWorker[] = [];
let bullmq: BullMQExecutor | undefined;
/** Every outcome the bullmq executor returned, by "dispatch:node". */
const outcomes = new Map<string, TaskOutcome>();

/** The bullmq executor as the dispatcher sees it, noting each outcome on the way back. */
const recording = (executor: BullMQExecutor): Executor => ({
  name: executor.name,
  capacity: executor.capacity,
  lookahead: executor.lookahead,
  async submit(task, signal, options) {
    const outcome = await executor.submit(task, signal, options);
    outcomes.set(`${task.dispatchId}:${task.nodeId}`, outcome);
    return outcome;
  },
  close: () => executor.close(),
});

// Root-level hooks run concurrently: one hook starts Redis, the workers, then the dispatcher.
let dispatcher: ct.RunningDispatcher | undefined;
const dataDir = temporaryDir();
before(async () => {
  redis = await startRedis();
  workers = await Promise.all([1, 2].map(() => startWorker(redis!.url, ["--cpus", "2"])));
  bullmq = new BullMQExecutor({ redis: redis.url });
  dispatcher = await startScaleOutDispatcher(dataDir, recording(bullmq));
});

after(async () => {
  await stopScaleOutDispatcher(dispatcher, dataDir);
  const codes = await Promise.all(workers.map((w) => w.stop()));
  await redis?.stop();
  assert.deepEqual(codes, [0, 0]);
});

const seed = ct.lattice(
  function seed(n: number) {
    const results = [];
    for (let i = 0; i < n; i++) results.push(processData(prepareData()));
    return results;
  },
  { executor: "bullmq" },
);

const inc = ct.electron(function inc(i: number): number {
  return i + 1;
});
const total = ct.electron(function total(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
});
const fan = ct.lattice(
  function fan(n: number) {
    const values = [];
    for (let i = 0; i < n; i++) values.push(inc(i));
    return total(values);
  },
  { executor: "bullmq" },
);
const chain = ct.lattice(
  function chain(n: number) {
    let value = inc(0);
    for (let i = 1; i < n; i++) value = inc(value);
    return value;
  },
  { executor: "bullmq" },
);

test("the seed workflow runs on the workers, and each node's outcome names the worker that ran it", async () => {
  const result = await ct.dispatchSync(seed)(10);
  assert.equal(result.status, "COMPLETED", String(result.error?.message));
  const values = result.result as number[];
  assert.equal(values.length, 10);
  for (let i = 0; i < 10; i++) {
    const prepared = (await result.getNodeResult(2 * i)).output as number;
    assert.equal(values[i], prepared + 1);
  }
  const pids = new Set(workers.map((w) => w.pid));
  const ran = [...outcomes].filter(([key]) => key.startsWith(`${result.dispatchId}:`));
  assert.equal(ran.length, 20, "10 prepareData and 10 processData tasks went through the bullmq executor");
  for (const [key, outcome] of ran) {
    assert.ok(outcome.worker, `${key} names its worker`);
    assert.deepEqual(Object.keys(outcome.worker).sort(), ["host", "id", "pid"]);
    assert.equal(outcome.worker.host, hostname());
    assert.ok(pids.has(outcome.worker.pid), `${key} ran on a test worker (pid ${outcome.worker.pid})`);
    assert.ok((outcome.queuedMs ?? -1) >= 0);
  }
});

test("a 1,000-task fan-out/fan-in runs on two workers with the right result", async (t) => {
  const started = performance.now();
  const result = await ct.dispatchSync(fan)(1000);
  const ms = performance.now() - started;
  assert.equal(result.status, "COMPLETED", String(result.error?.message));
  assert.equal(result.result, 500_500);
  const byWorker = new Map<number, number>();
  for (const [key, outcome] of outcomes) {
    if (!key.startsWith(`${result.dispatchId}:`)) continue;
    byWorker.set(outcome.worker!.pid, (byWorker.get(outcome.worker!.pid) ?? 0) + 1);
  }
  assert.equal(
    [...byWorker.values()].reduce((a, b) => a + b, 0),
    1001,
  );
  t.diagnostic(`1k fan-out/fan-in: ${ms.toFixed(0)} ms wall; tasks per worker: ${[...byWorker.values()].join(", ")}`);
});

test("a 200-step chain: each dependent step goes through Redis and back", async (t) => {
  const started = performance.now();
  const result = await ct.dispatchSync(chain)(200);
  const ms = performance.now() - started;
  assert.equal(result.status, "COMPLETED", String(result.error?.message));
  assert.equal(result.result, 200);
  t.diagnostic(`200-step chain: ${ms.toFixed(0)} ms wall, ${(ms / 200).toFixed(2)} ms per step`);
});
