// The differential test of the engine on the bullmq executor: random lattices (plan.ts) run as
// BullMQ jobs on a real Redis and two real `valence worker` processes, compared with the model. The
// plans also hold deps.npm (installed by each worker, offline: npm-cache.ts), hooks, tasks asking for
// both CPUs of a worker, tasks asking for 1000 CPUs (no worker offers them: each attempt fails after
// the executor's waitTimeoutMs, NoWorkerError) and, in long campaigns, attempts that end a task thread.
import { after, before, test } from "node:test";
import * as ct from "valence-workflows";
import { BullMQExecutor } from "#src/executors/bullmq/index.js";
import { temporaryDir } from "../support/dispatcher.ts";
import { startRedis, type RunningRedis } from "../support/redis.ts";
import { startScaleOutDispatcher, stopScaleOutDispatcher } from "../bullmq/dispatcher.ts";
import { startWorker, type SpawnedWorker } from "../bullmq/workers.ts";
import { campaign, campaignTimeout } from "./campaign.ts";
import { useNpmCache } from "./npm-cache.ts";
import { DEFAULT_SHAPE, type PlanShape } from "./plan.ts";

let redis: RunningRedis | undefined;
let workers: SpawnedWorker[] = [];
let dispatcher: ct.RunningDispatcher | undefined;
const dataDir = temporaryDir();
// Before the workers start: they take the environment they are spawned with.
useNpmCache();

before(async () => {
  redis = await startRedis();
  workers = await Promise.all([1, 2].map(() => startWorker(redis!.url, ["--cpus", "2"])));
  dispatcher = await startScaleOutDispatcher(dataDir, new BullMQExecutor({ redis: redis.url, waitTimeoutMs: 1000 }));
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
    // A task thread that exits is started again cold (seconds on a busy machine): long campaigns only.
    const exits = Boolean(process.env.VALENCE_FUZZ_RUNS);
    const shape: PlanShape = { ...DEFAULT_SHAPE, deps: true, hooks: true, greedy: true, wide: true, exits };
    const stats = await campaign("bullmq", { runs: 70, parallel: 2, shape });
    t.diagnostic(`bullmq: ${JSON.stringify(stats)}`);
  },
);
