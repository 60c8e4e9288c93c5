// The differential test of results reused by content (README "Results are reused by content"): each
// random plan is dispatched fresh, redispatched with `reusePreviousResults`, and dispatched fresh
// again (its `cache: true` tasks hit), on inline and on local worker threads; both later runs are
// compared with the model and with what must not run again (reuse.ts).
// `npm run fuzz -- --executor reuse --runs N [--seed S]` runs a long campaign of these alone.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import { InlineExecutor, LocalExecutor } from "#src/executors/index.js";
import { useDispatcher } from "../support/dispatcher.ts";
import { campaignRuns, campaignSeed, campaignTimeout } from "./campaign.ts";
import { DEFAULT_SHAPE, describePlan, planArbitrary, type Plan, type PlanShape } from "./plan.ts";
import { cachedTasks, failedSubsWithWork, runReuse } from "./reuse.ts";

useDispatcher({ executors: { inline: new InlineExecutor(), local: new LocalExecutor({ maxWorkers: 2 }) } });

/**
 * Smaller plans than the engine campaign's (each is dispatched three times). Stalls and big plans
 * only in a long campaign: a stall on local costs a worker (a timeout terminates it) and its cold
 * start, on inline its 30 s timer keeps the test process alive; the engine campaign tries them.
 */
const SHAPE: PlanShape = {
  ...DEFAULT_SHAPE,
  maxTasks: 16,
  stalls: Boolean(process.env.VALENCE_FUZZ_RUNS),
  big: Boolean(process.env.VALENCE_FUZZ_RUNS),
};

/** Plans tried while shrinking a disagreement, at most. */
const SHRINK_RUNS = 100;

interface ReuseStats {
  plans: number;
  tasks: number;
  cachedTasks: number;
  reusedNodes: number;
  /** Sublattices that failed with some work done, run again in a child that reuses it. */
  failedSubs: number;
  statuses: Record<string, number>;
}

async function reuseCampaign(executor: string, runs: number): Promise<ReuseStats> {
  const seed = campaignSeed();
  const numRuns = campaignRuns(runs);
  const stats: ReuseStats = { plans: 0, tasks: 0, cachedTasks: 0, reusedNodes: 0, failedSubs: 0, statuses: {} };
  let failing = false;
  let shrinkBudget = SHRINK_RUNS;
  const property = fc.asyncProperty(planArbitrary(SHAPE), async (plan) => {
    if (failing && --shrinkBudget < 0) return;
    const dir = mkdtempSync(join(tmpdir(), "valence-reuse-"));
    try {
      const report = await runReuse(plan, executor, dir);
      stats.plans++;
      stats.tasks += plan.tasks.length;
      stats.cachedTasks += cachedTasks(plan);
      stats.reusedNodes += report.reused;
      stats.failedSubs += failedSubsWithWork(plan);
      const status = report.statuses[0]!;
      stats.statuses[status] = (stats.statuses[status] ?? 0) + 1;
      if (report.problems.length) {
        failing = true;
        throw new Error(
          `plan on ${executor} (${describePlan(plan)}; dispatches ${report.dispatchIds.join(", ")}) ` +
            `disagrees with the model:\n  ${report.problems.join("\n  ")}`,
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  const outcome = await fc.check(property, { numRuns, seed, endOnFailure: false, verbose: 1 });
  if (outcome.failed) {
    const [plan] = outcome.counterexample ?? [];
    throw new Error(
      `reuse on the ${executor} executor disagrees with the model (seed ${seed}, path ${outcome.counterexamplePath}; ` +
        `replay: npm run fuzz -- --executor reuse --seed ${seed} --runs ${numRuns}).\n` +
        `${outcome.errorInstance instanceof Error ? outcome.errorInstance.message : String(outcome.errorInstance)}\n` +
        `the smallest plan found:\n${JSON.stringify(plan as Plan)}`,
    );
  }
  return stats;
}

for (const executor of ["inline", "local"]) {
  test(
    `reuse on the ${executor} executor: a redispatch with reusePreviousResults and a second dispatch with cache: true run only what the model says`,
    { timeout: campaignTimeout(5 * 60_000) },
    async (t) => {
      const stats = await reuseCampaign(executor, 40);
      t.diagnostic(`${executor}: ${JSON.stringify(stats)}`);
    },
  );
}
