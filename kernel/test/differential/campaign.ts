// A campaign: fast-check generates plans (and, for some, a moment to cancel at), each is dispatched
// on one executor and compared with the model; a disagreement fails with the shrunk plan and the seed.
// `npm run fuzz -- --runs N --seed S` sets VALENCE_FUZZ_RUNS / VALENCE_FUZZ_SEED for long campaigns.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { runAndCompare } from "./check.ts";
import { DEFAULT_SHAPE, describePlan, planArbitrary, type Plan, type PlanShape } from "./plan.ts";

export interface CampaignOptions {
  /** Plans to try (VALENCE_FUZZ_RUNS overrides). */
  readonly runs: number;
  readonly shape?: PlanShape;
  /** The share of runs cancelled at a random moment. */
  readonly cancelShare?: number;
}

/** Plans tried while shrinking a disagreement, at most. */
const SHRINK_RUNS = 150;

export interface CampaignStats {
  runs: number;
  tasks: number;
  cancelled: number;
  statuses: Record<string, number>;
}

/** The seed of a campaign: VALENCE_FUZZ_SEED if set, else a new one (printed, to replay a failure). */
export function campaignSeed(): number {
  const given = process.env.VALENCE_FUZZ_SEED;
  return given ? Number(given) : (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
}

export function campaignRuns(runs: number): number {
  const given = process.env.VALENCE_FUZZ_RUNS;
  return given ? Number(given) : runs;
}

/** A test's time limit: `ms` in `npm test`, none in a long campaign. */
export function campaignTimeout(ms: number): number {
  return process.env.VALENCE_FUZZ_RUNS ? Infinity : ms;
}

/** In a long campaign, a progress line every 30 s (`npm test` stays quiet). */
function progress(executor: string, runs: number): (stats: CampaignStats) => void {
  if (!process.env.VALENCE_FUZZ_RUNS) return () => undefined;
  const started = Date.now();
  let last = started;
  return (stats) => {
    const now = Date.now();
    if (now - last < 30_000 && stats.runs !== runs) return;
    last = now;
    const rate = (stats.runs / ((now - started) / 1000)).toFixed(1);
    process.stderr.write(
      `fuzz ${executor}: ${stats.runs}/${runs} agree (${rate}/s) ${JSON.stringify(stats.statuses)}\n`,
    );
  };
}

/** Runs the campaign on `executor`; throws (with the seed and the smallest failing plan) on a disagreement. */
export async function campaign(executor: string, options: CampaignOptions): Promise<CampaignStats> {
  const seed = campaignSeed();
  const runs = campaignRuns(options.runs);
  const stats: CampaignStats = { runs: 0, tasks: 0, cancelled: 0, statuses: {} };
  const cancelShare = options.cancelShare ?? 0.1;
  const progressed = progress(executor, runs);
  // Shrinking reruns the property many times; a disagreement that needs the state earlier runs left
  // (a warm worker) may not come back. After this many tries the smallest plan found so far is shown.
  let shrinkBudget = SHRINK_RUNS;
  let failing = false;
  const cancelAt = fc.oneof(
    { weight: Math.round((1 - cancelShare) * 100), arbitrary: fc.constant(undefined) },
    { weight: Math.round(cancelShare * 100), arbitrary: fc.integer({ min: 0, max: 60 }) },
  );
  const property = fc.asyncProperty(
    planArbitrary(options.shape ?? DEFAULT_SHAPE),
    cancelAt,
    async (plan, cancelAfterMs) => {
      if (failing && --shrinkBudget < 0) return;
      const dir = mkdtempSync(join(tmpdir(), "valence-differential-"));
      try {
        const report = await runAndCompare(plan, executor, { dir, cancelAfterMs });
        stats.runs++;
        stats.tasks += plan.tasks.length;
        if (cancelAfterMs !== undefined) stats.cancelled++;
        stats.statuses[report.status] = (stats.statuses[report.status] ?? 0) + 1;
        progressed(stats);
        if (report.problems.length) {
          failing = true;
          throw new Error(
            `dispatch ${report.dispatchId} on ${executor} (${describePlan(plan)}` +
              `${cancelAfterMs === undefined ? "" : `, cancelled after ${cancelAfterMs} ms`}) disagrees with the model:\n  ` +
              report.problems.join("\n  "),
          );
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
  const outcome = await fc.check(property, { numRuns: runs, seed, endOnFailure: false, verbose: 1 });
  if (outcome.failed) {
    const [plan, cancelAfterMs] = outcome.counterexample ?? [];
    throw new Error(
      `the ${executor} executor disagrees with the model (seed ${seed}, path ${outcome.counterexamplePath}; ` +
        `replay: npm run fuzz -- --executor ${executor} --seed ${seed} --runs ${runs}).\n` +
        `${outcome.errorInstance instanceof Error ? outcome.errorInstance.message : String(outcome.errorInstance)}\n` +
        `the smallest plan found${cancelAfterMs === undefined ? "" : ` (cancelled after ${cancelAfterMs} ms)`}:\n` +
        JSON.stringify(plan as Plan),
    );
  }
  return stats;
}
