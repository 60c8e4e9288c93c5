// Crash points in the differential test: random lattices (plan.ts) while a real process is killed
// with -9 at a random moment, compared with the model of an uninterrupted run (crash.ts says what a
// kill may change: only which attempts start, and succeed, more than once; never those of a task that
// had ended before the kill).
//   - The dispatcher: a `valence start --foreground` process runs the plan on its local worker
//     threads, is killed, and is started again on the same data directory; the dispatch resumes.
//   - A worker: a dispatcher with the bullmq executor, a real Redis and two `valence worker`
//     processes; one worker is killed and a replacement started; what it was running runs elsewhere.
// `npm run fuzz -- --executor crash --runs N [--seed S]` runs N kill points of each.
import { test } from "node:test";
import { appendFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import * as ct from "valence-workflows";
import { BullMQExecutor } from "#src/executors/bullmq/index.js";
import { startScaleOutDispatcher, stopScaleOutDispatcher } from "../bullmq/dispatcher.ts";
import { startWorker, type SpawnedWorker } from "../bullmq/workers.ts";
import { temporaryDir } from "../support/dispatcher.ts";
import { forgetDispatcher, startDispatcherProcess, type DispatcherProcess } from "../support/processes.ts";
import { startRedis, type RunningRedis } from "../support/redis.ts";
import { campaignTimeout } from "./campaign.ts";
import { compare, readSideEffects, taskNodeIds } from "./check.ts";
import {
  countKill,
  CRASH_SHAPE,
  crashCampaign,
  crashPlanArbitrary,
  crashEffectProblems,
  killPointArbitrary,
  newCrashStats,
  reachKillPoint,
  snapshot,
  type CrashedProcess,
  type KillPoint,
  type Snapshot,
} from "./crash.ts";
import { latticeFor } from "./flow.ts";
import { describePlan, type Plan } from "./plan.ts";

/** No task of these runs uses the bullmq executor: the dispatcher never connects to this. */
const NO_REDIS = "redis://127.0.0.1:1";

/**
 * Dispatches `plan` on `executor`, waits for the kill point, takes the snapshot, lets `kill` kill
 * (and restart) a process, waits for the dispatch and returns the disagreements with the model.
 */
async function runWithKill(
  plan: Plan,
  executor: string,
  point: KillPoint,
  crashed: CrashedProcess,
  kill: () => Promise<void>,
  stats: ReturnType<typeof newCrashStats>,
): Promise<string[]> {
  const dir = temporaryDir("valence-crash-run-");
  const log = join(dir, "log");
  appendFileSync(log, "");
  try {
    const nodes = taskNodeIds(plan, log, executor);
    const started = Date.now();
    const { id } = await ct.dispatch(latticeFor(executor))(plan, log, executor);
    await reachKillPoint(id, nodes, point);
    const before: Snapshot = await snapshot(id, plan, nodes);
    const killed = Date.now();
    await kill();
    const restarted = Date.now();
    const result = await ct.getResult(id, { wait: true, timeoutMs: 60_000 });
    const ended = Date.now();
    const effects = readSideEffects(log);
    const ms = { run: ended - started, restart: restarted - killed, finish: ended - restarted };
    if (process.env.VALENCE_FUZZ_TIMES) {
      const landed = `${before.completed} completed, ${before.running} running${before.finished ? ", finished" : ""}`;
      console.error(
        `${JSON.stringify(ms)} ms ${result.status} kill ${JSON.stringify(point)} (${landed}) ${describePlan(plan)}`,
      );
    }
    countKill(stats, before, effects, result.status, ms);
    return [
      ...(await compare(plan, result, nodes, undefined, false)),
      ...crashEffectProblems(plan, effects, before, crashed),
    ].map((problem) => `${problem} [dispatch ${id}]`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `width` tasks at once, so that every worker thread or process of a restarted dispatcher or a
 * replaced worker has loaded the plans' modules (a cold one takes seconds) before the next plan.
 */
async function warmUp(executor: string, width: number): Promise<void> {
  const dir = temporaryDir("valence-crash-warm-");
  const log = join(dir, "log");
  const task = { kind: "task", variant: 0, args: [], waits: [], fails: [], stalls: [], ms: 100 } as const;
  const plan: Plan = {
    tasks: Array.from({ length: width }, () => task),
    returns: { list: Array.from({ length: width }, (_, ref) => ({ ref })) },
  };
  try {
    const result = await ct.dispatchSync(latticeFor(executor))(plan, log, executor);
    if (result.status !== "COMPLETED") throw new Error(`the warm-up dispatch ended ${result.status}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test(
  "kill -9 of the dispatcher at random moments (crash points): random lattices resume after a restart and agree with the model",
  { timeout: campaignTimeout(6 * 60_000) },
  async (t) => {
    const dataDir = temporaryDir("valence-crash-");
    // Two worker threads, as in engine.test.ts: batches queue and chains form. The process reads its
    // config from its working directory, the data directory.
    writeFileSync(join(dataDir, "valence.config.json"), JSON.stringify({ local: { maxWorkers: 2 } }));
    let dispatcher: DispatcherProcess = await startDispatcherProcess(dataDir, NO_REDIS);
    dispatcher.use();
    const stats = newCrashStats();
    try {
      await warmUp("local", 2);
      const restart = async (): Promise<void> => {
        await dispatcher.kill();
        dispatcher = await startDispatcherProcess(dataDir, NO_REDIS);
        dispatcher.use();
      };
      await crashCampaign(
        "kill -9 of the dispatcher",
        12,
        crashPlanArbitrary(),
        killPointArbitrary,
        async (plan, point) => {
          const problems = await runWithKill(plan, "local", point, "dispatcher", restart, stats);
          // Warm worker threads for the next plan, so that its kill point finds tasks running (quick
          // when the resumed dispatch ran some task after the restart).
          await warmUp("local", 2);
          return problems;
        },
      );
    } finally {
      t.diagnostic(`dispatcher kills: ${JSON.stringify(stats)}`);
      forgetDispatcher();
      await dispatcher.stop(10_000);
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
);

test(
  "kill -9 of a worker at random moments (crash points): random lattices on Redis workers finish elsewhere and agree with the model",
  { timeout: campaignTimeout(6 * 60_000) },
  async (t) => {
    const redis: RunningRedis = await startRedis();
    const workerArgs = ["--cpus", "2"];
    const workers: SpawnedWorker[] = await Promise.all([1, 2].map(() => startWorker(redis.url, workerArgs)));
    const dataDir = temporaryDir("valence-crash-workers-");
    const dispatcher = await startScaleOutDispatcher(dataDir, new BullMQExecutor({ redis: redis.url }));
    const stats = newCrashStats();
    const kills = fc.record({ point: killPointArbitrary, worker: fc.constantFrom(0, 1) });
    const replace = async (worker: number): Promise<void> => {
      await workers[worker]!.kill();
      workers[worker] = await startWorker(redis.url, workerArgs);
    };
    try {
      await warmUp("bullmq", 8);
      const plans = crashPlanArbitrary(CRASH_SHAPE, { timeouts: false });
      await crashCampaign("kill -9 of a worker", 5, plans, kills, async (plan, { point, worker }) => {
        const problems = await runWithKill(plan, "bullmq", point, "worker", () => replace(worker), stats);
        await warmUp("bullmq", 8); // the replacement too
        return problems;
      });
    } finally {
      t.diagnostic(`worker kills: ${JSON.stringify(stats)}`);
      await stopScaleOutDispatcher(dispatcher, dataDir);
      await Promise.all(workers.map((w) => w.stop()));
      await redis.stop();
    }
  },
);
