import { after, before } from "node:test";
import assert from "node:assert/strict";
import { executorConformance } from "#src/testing/index.js";
import { BullMQExecutor } from "#src/executors/bullmq/index.js";
import { startRedis, type RunningRedis } from "../support/redis.ts";
import { startWorker, type SpawnedWorker } from "./workers.ts";

// The conformance suite every executor passes, against Redis and two real `valence worker` processes.
let redis: RunningRedis | undefined;
let workers: SpawnedWorker[] = [];
let ready: () => void;
const started = new Promise<void>((resolve) => (ready = resolve));

before(async () => {
  redis = await startRedis();
  workers = await Promise.all([startWorker(redis.url, ["--cpus", "2"]), startWorker(redis.url, ["--cpus", "2"])]);
  ready();
});

executorConformance("bullmq", async () => {
  await started;
  return new BullMQExecutor({ redis: redis!.url });
});

after(async () => {
  const codes = await Promise.all(workers.map((w) => w.stop()));
  await redis?.stop();
  assert.deepEqual(codes, [0, 0], "workers exit 0 on SIGTERM");
});
