// The bullmq executor's wait deadline (`waitTimeoutMs`): a task no live worker can run (a GPU task, no
// GPU worker) fails with a NoWorkerError saying what it waited for and how long, instead of waiting for
// ever; a task queued behind busy workers able to run it is not failed by it; an invalid value is a
// clear error naming the option, from code and from a config file. A real dispatcher, Redis and worker.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as ct from "valence-workflows";
import { BullMQExecutor, createExecutor } from "#src/executors/bullmq/index.js";
import { loadConfig } from "#src/config/index.js";
import { temporaryDir } from "../support/dispatcher.ts";
import { startScaleOutDispatcher, stopScaleOutDispatcher } from "./dispatcher.ts";
import { startRedis, type RunningRedis } from "../support/redis.ts";
import { startWorker, type SpawnedWorker } from "./workers.ts";

const WAIT_MS = 300;

let redis: RunningRedis | undefined;
let worker: SpawnedWorker | undefined;
let dispatcher: ct.RunningDispatcher | undefined;
const dataDir = temporaryDir();

// Root-level hooks run concurrently: one hook starts Redis, the worker, then the dispatcher.
before(async () => {
  redis = await startRedis();
  // One CPU, one task at a time, no GPU.
  worker = await startWorker(redis.url, ["--cpus", "1", "--concurrency", "1"]);
  const bullmq = new BullMQExecutor({ redis: redis.url, waitTimeoutMs: WAIT_MS }, { log: () => undefined });
  dispatcher = await startScaleOutDispatcher(dataDir, bullmq);
});

after(async () => {
  await stopScaleOutDispatcher(dispatcher, dataDir);
  const code = await worker?.stop();
  await redis?.stop();
  assert.equal(code, 0, `the worker exited with ${code}`);
});

const onGpu = ct.electron(
  function onGpu(): number {
    return process.pid;
  },
  { executor: "bullmq", resources: { cpus: 1, gpus: 1 } },
);
const onGpuRetried = ct.electron(
  function onGpuRetried(): number {
    return process.pid;
  },
  { executor: "bullmq", resources: { cpus: 1, gpus: 1 }, retries: 1 },
);

const NO_GPU = new RegExp(
  `^electron "onGpu" waited (\\d+) ms for a worker: no worker with 1 GPU is connected to queue "valence" ` +
    `\\(connected: 1 CPUs, \\d+ MB, 0 GPUs\\) \\(waitTimeoutMs ${WAIT_MS}\\)$`,
);

test("a GPU task with no GPU worker fails after waitTimeoutMs with a NoWorkerError saying why", async () => {
  const started = Date.now();
  const result = await ct.dispatchSync(ct.lattice(() => onGpu(), { name: "gpuFlow" }))();
  const took = Date.now() - started;
  assert.equal(result.status, "FAILED");
  assert.equal(result.nodes[0]!.status, "FAILED");
  const node = await result.getNodeResult(0);
  assert.equal(node.error!.name, "NoWorkerError");
  const match = NO_GPU.exec(node.error!.message);
  assert.ok(match, node.error!.message);
  assert.ok(Number(match[1]) >= WAIT_MS, `waited ${match[1]} ms`);
  assert.equal(node.waiting, undefined, "no longer waiting once failed");
  assert.equal(node.worker, undefined, "no worker ran it");
  assert.match(result.error!.message, /waited \d+ ms for a worker: no worker with 1 GPU/);
  // Well before any default: the deadline plus a poll or two.
  assert.ok(took < 5_000, `the dispatch took ${took} ms`);
});

test("with retries, each attempt waits its own deadline, then the node fails", async () => {
  const started = Date.now();
  const result = await ct.dispatchSync(ct.lattice(() => onGpuRetried(), { name: "gpuRetried" }))();
  const took = Date.now() - started;
  assert.equal(result.status, "FAILED");
  assert.equal(result.nodes[0]!.attempts, 2);
  const node = await result.getNodeResult(0);
  assert.equal(node.error!.name, "NoWorkerError");
  assert.match(node.error!.message, /^electron "onGpuRetried" waited \d+ ms for a worker: no worker with 1 GPU/);
  assert.ok(took >= 2 * WAIT_MS && took < 8_000, `the dispatch took ${took} ms`);
});

const nap = ct.electron(
  async function nap(ms: number): Promise<number> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return ms;
  },
  { executor: "bullmq" },
);

test("tasks queued behind a busy worker able to run them wait as long as it takes", async () => {
  // One slot: the third nap waits ~2 × 400 ms in the queue, well past waitTimeoutMs.
  const flow = ct.lattice(() => [nap(400), nap(400), nap(400)], { name: "naps" });
  const started = Date.now();
  const result = await ct.dispatchSync(flow)();
  assert.equal(result.status, "COMPLETED", String(result.error?.message));
  assert.deepEqual(result.result, [400, 400, 400]);
  assert.ok(Date.now() - started >= 1_100, "they ran one after the other");
});

test("an invalid waitTimeoutMs is a clear error naming the option, from code and from a config file", () => {
  const invalid = (value: unknown): string => {
    try {
      new BullMQExecutor({ waitTimeoutMs: value as number });
      return "(no error)";
    } catch (error) {
      assert.ok(error instanceof TypeError);
      return error.message;
    }
  };
  const notPositive =
    'executor "bullmq" (bullmq): invalid options: waitTimeoutMs must be a positive whole number of milliseconds';
  assert.equal(invalid(-5), notPositive);
  assert.equal(invalid(0), notPositive);
  assert.equal(invalid(1.5), notPositive);
  assert.equal(
    invalid("x"),
    'executor "bullmq" (bullmq): invalid options: waitTimeoutMs must be a number (milliseconds)',
  );
  assert.throws(
    () => createExecutor({ waitTimeoutMs: "30000" }, { name: "gpu-queue", dataDir }),
    /^TypeError: executor "gpu-queue" \(bullmq\): invalid options: waitTimeoutMs must be a number \(milliseconds\)$/,
  );
  assert.throws(
    () => createExecutor({ waitTimeout: 5 }, { name: "gpu-queue", dataDir }),
    /invalid options: unknown option "waitTimeout" \(did you mean "waitTimeoutMs"\?\)/,
  );
  assert.equal(new BullMQExecutor({ waitTimeoutMs: 30_000 }).options.waitTimeoutMs, 30_000);
  assert.equal(new BullMQExecutor().options.waitTimeoutMs, undefined, "no deadline by default");

  const dir = temporaryDir("valence-config-");
  const file = join(dir, "valence.config.json");
  const problem = (entry: Record<string, unknown>): string => {
    writeFileSync(file, JSON.stringify({ executors: { "gpu-queue": { type: "bullmq", ...entry } } }));
    try {
      loadConfig(file);
      return "(no error)";
    } catch (error) {
      return (error as Error).message.replaceAll(file, "FILE");
    }
  };
  try {
    assert.equal(
      problem({ waitTimeoutMs: -5 }),
      'invalid config FILE: at executors["gpu-queue"].waitTimeoutMs: must be a positive whole number of milliseconds',
    );
    assert.equal(
      problem({ waitTimeoutMs: "x" }),
      'invalid config FILE: at executors["gpu-queue"].waitTimeoutMs: must be a number (milliseconds)',
    );
    assert.equal(problem({ waitTimeoutMs: 30_000 }), "(no error)");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
