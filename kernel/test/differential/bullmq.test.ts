// The differential test of the engine on the bullmq executor: random lattices (plan.ts) run as
// BullMQ jobs on a real Redis and two real `valence worker` processes, compared with the model.
import { after, before, test } from "node:test";
import * as ct from "valence-workflows";
import { BullMQExecutor } from "../../dist/executors/bullmq/index.js";
import { temporaryDir } from "../support/dispatcher.ts";
import { startRedis, type RunningRedis } from "../support/redis.ts";
import { startScaleOutDispatcher, stopScaleOutDispatcher } from "../bullmq/dispatcher.ts";
import { startWorker, type SpawnedWorker } from "../bullmq/workers.ts";
import { campaign, campaignTimeout } from "./campaign.ts";

let redis: RunningRedis | undefined;
let workers: SpawnedWorker[] = [];
let dispatcher: ct.RunningDispatcher | undefined;
const dataDir = temporaryDir();

before(async () => {
  redis = await startRedis();
  workers = await Promise.all([1, 2].map(() => startWorker(redis!.url, ["--cpus", "2"])));
  dispatcher = await startScaleOutDispatcher(dataDir, new BullMQExecutor({ redis: redis.url }));
});

after(async () => {
  await stopScaleOutDispatcher(dispatcher, dataDir);
  await Promise.all(workers.map((w) => w.stop()));
  await redis?.stop();
});

test(
  "random lattices on the bullmq executor (Redis, two workers) agree with the model",
  { timeout: campaignTimeout(20 * 60_000) },
  async (t) => {
    const stats = await campaign("bullmq", { runs: 100, parallel: 2 });
    t.diagnostic(`bullmq: ${JSON.stringify(stats)}`);
  },
);
