// A campaign: fast-check generates plans (and, for some, a moment to cancel at), each is dispatched
// on one executor and compared with the model; a disagreement fails with the shrunk plan and the seed.
// `npm run fuzz -- --runs N --seed S` sets VALENCE_FUZZ_RUNS / VALENCE_FUZZ_SEED for long campaigns.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { runAndCompare, type NodeCancel, type RunReport } from "./check.ts";
import type { ObserveOptions } from "./observe.ts";
import { DEFAULT_SHAPE, describePlan, planArbitrary, type Plan, type PlanShape } from "./plan.ts";

export interface CampaignOptions {
  /** Plans to try (VALENCE_FUZZ_RUNS overrides). */
  readonly runs: number;
  readonly shape?: PlanShape;
  /** The share of runs cancelled at a random moment. */
  readonly cancelShare?: number;
  /** The share of runs where one to three task nodes are cancelled at a random moment (ct.cancel(id, nodes)). */
  readonly nodeCancelShare?: number;
  /** Plans dispatched at once (VALENCE_FUZZ_PARALLEL overrides). */
  readonly parallel?: number;
  /** The share of runs also followed over the websocket, with their DAG document checked (observe.ts). */
  readonly observeShare?: number;
  /** The share of runs sent as a version 1 transport graph. */
  readonly version1Share?: number;
  /** Runs a plan some other way than dispatching it on the executor (run-local.ts); no cancels, no observers. */
  readonly runner?: (plan: Plan, dir: string) => Promise<RunReport>;
}

/** Plans tried while shrinking a disagreement, at most. */
const SHRINK_RUNS = 150;

/**
 * The default shares of dispatched runs followed over the websocket (with their DAG document) and
 * sent as a version 1 graph (CampaignOptions.observeShare, version1Share).
 */
const OBSERVE_SHARE = 0.2;
const VERSION1_SHARE = 0.15;

export interface CampaignStats {
  runs: number;
  tasks: number;
  cancelled: number;
  /** Runs where some nodes were cancelled. */
  nodesCancelled: number;
  /** Runs followed over the websocket; runs sent as a version 1 graph. */
  observed: number;
  version1: number;
  statuses: Record<string, number>;
  /** Runs that disagreed with the model (the first, and those tried while shrinking it). */
  disagreed: number;
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
function progress(executor: string, runs: number, seed: number): (stats: CampaignStats) => void {
  if (!process.env.VALENCE_FUZZ_RUNS) return () => undefined;
  process.stderr.write(`fuzz ${executor}: ${runs} plans, seed ${seed}\n`);
  const started = Date.now();
  let last = started;
  return (stats) => {
    const now = Date.now();
    if (now - last < 30_000 && stats.runs !== runs) return;
    last = now;
    const rate = (stats.runs / ((now - started) / 1000)).toFixed(1);
    const disagreed = stats.disagreed ? `, ${stats.disagreed} disagree (shrinking)` : " agree";
    process.stderr.write(
      `fuzz ${executor}: ${stats.runs}/${runs}${disagreed} (${rate}/s) ${JSON.stringify(stats.statuses)}\n`,
    );
  };
}

/** How many plans run at once on the dispatcher (VALENCE_FUZZ_PARALLEL, default `given`). */
export function campaignParallel(given: number): number {
  const set = process.env.VALENCE_FUZZ_PARALLEL;
  return set ? Math.max(1, Number(set)) : given;
}

/** How a run is watched and sent, besides its plan and its cancel. */
interface Watching {
  readonly observe?: ObserveOptions | undefined;
  readonly version1: boolean;
}

/** A run's cancel: none, of the whole dispatch after that many ms, or of some task nodes (NodeCancel). */
type Cancel = number | NodeCancel | undefined;

type Case = readonly [Plan, Cancel, Watching?];

function describeCancel(cancel: Cancel): string {
  if (cancel === undefined) return "";
  if (typeof cancel === "number") return `cancelled after ${cancel} ms`;
  return `tasks ${cancel.tasks.join(", ")} cancelled after ${cancel.afterMs} ms`;
}

/** Node cancels name tasks by any number: taken modulo the plan's size, so every shrink stays valid. */
function withPlan([plan, cancel, how]: readonly [Plan, Cancel, Watching?]): Case {
  if (typeof cancel !== "object") return [plan, cancel, how];
  const tasks = [...new Set(cancel.tasks.map((n) => n % plan.tasks.length))].sort((a, b) => a - b);
  return [plan, { afterMs: cancel.afterMs, tasks }, how];
}

/** Some runs (a share of them) are followed over the websocket, some are sent as version 1: shrinks to neither. */
function watchingArbitrary(observeShare: number, version1Share: number): fc.Arbitrary<Watching> {
  const share = (p: number): fc.Arbitrary<boolean> => fc.integer({ min: 0, max: 99 }).map((n) => n >= 100 - p * 100);
  return fc
    .record({
      observe: share(observeShare),
      cutAfter: fc.nat(8),
      pauseMs: fc.constantFrom(0, 5, 30),
      version1: share(version1Share),
    })
    .map(({ observe, cutAfter, pauseMs, version1 }) => ({
      observe: observe ? { cutAfter, pauseMs } : undefined,
      version1,
    }));
}

function describeWatching(watching: Watching | undefined): string {
  const how = [
    ...(watching?.observe ? [`followed over the websocket, cut after ${watching.observe.cutAfter} messages`] : []),
    ...(watching?.version1 ? ["sent as a version 1 graph"] : []),
  ];
  return how.join(", ");
}

/**
 * Runs the campaign on `executor`; throws (with the seed and the smallest failing plans) on a
 * disagreement. Each property run dispatches a group of up to `parallel` plans at once, as users
 * sharing one dispatcher do: the model of each is the same whatever runs beside it.
 */
export async function campaign(executor: string, options: CampaignOptions): Promise<CampaignStats> {
  const seed = campaignSeed();
  const runs = campaignRuns(options.runs);
  const parallel = campaignParallel(options.parallel ?? 1);
  const stats: CampaignStats = {
    runs: 0,
    tasks: 0,
    cancelled: 0,
    nodesCancelled: 0,
    observed: 0,
    version1: 0,
    statuses: {},
    disagreed: 0,
  };
  const cancelShare = options.cancelShare ?? 0.1;
  const nodeCancelShare = options.nodeCancelShare ?? 0.1;
  const progressed = progress(executor, runs, seed);
  // Shrinking reruns the property many times; a disagreement that needs the state earlier runs left
  // (a warm worker) may not come back. After this many tries the smallest plans found so far are shown.
  let shrinkBudget = SHRINK_RUNS;
  let failing = false;
  const nodeCancel: fc.Arbitrary<NodeCancel> = fc.record({
    afterMs: fc.integer({ min: 0, max: 80 }),
    tasks: fc.array(fc.nat(999), { minLength: 1, maxLength: 3 }),
  });
  const cancelAt = fc.oneof(
    { weight: Math.round((1 - cancelShare - nodeCancelShare) * 100), arbitrary: fc.constant<Cancel>(undefined) },
    { weight: Math.round(cancelShare * 100), arbitrary: fc.integer({ min: 0, max: 60 }) as fc.Arbitrary<Cancel> },
    ...(nodeCancelShare > 0
      ? [{ weight: Math.round(nodeCancelShare * 100), arbitrary: nodeCancel as fc.Arbitrary<Cancel> }]
      : []),
  );
  const watching = watchingArbitrary(options.observeShare ?? OBSERVE_SHARE, options.version1Share ?? VERSION1_SHARE);
  const one = options.runner
    ? fc.tuple(planArbitrary(options.shape ?? DEFAULT_SHAPE), fc.constant(undefined))
    : fc.tuple(planArbitrary(options.shape ?? DEFAULT_SHAPE), cancelAt, watching).map(withPlan);
  const runCase = async ([plan, cancel, how]: Case): Promise<string | undefined> => {
    const cancelAfterMs = typeof cancel === "number" ? cancel : undefined;
    const cancelNodes = typeof cancel === "object" ? cancel : undefined;
    const dir = mkdtempSync(join(tmpdir(), "valence-differential-"));
    const started = Date.now();
    try {
      const report = options.runner
        ? await options.runner(plan, dir)
        : await runAndCompare(plan, executor, { dir, cancelAfterMs, cancelNodes, ...how });
      // VALENCE_FUZZ_TIMES=1 prints each run's time; =N also the plan of each run slower than N ms (for replay.ts).
      const times = Number(process.env.VALENCE_FUZZ_TIMES ?? 0);
      const ms = Date.now() - started;
      if (times) console.error(`${ms} ms ${report.status} ${describePlan(plan)}`);
      if (times > 1 && ms > times) console.error(`  slow plan: ${JSON.stringify(plan)}`);
      stats.runs++;
      stats.tasks += plan.tasks.length;
      if (cancelAfterMs !== undefined) stats.cancelled++;
      if (cancelNodes) stats.nodesCancelled++;
      if (how?.observe) stats.observed++;
      if (how?.version1) stats.version1++;
      stats.statuses[report.status] = (stats.statuses[report.status] ?? 0) + 1;
      progressed(stats);
      if (!report.problems.length) return undefined;
      // A long campaign shows its first disagreement at once: shrinking it can take a long while.
      if (!stats.disagreed++ && process.env.VALENCE_FUZZ_RUNS) {
        process.stderr.write(
          `fuzz ${executor}: disagreement (seed ${seed}): ${report.problems.join("; ")}\n  plan: ${JSON.stringify(plan)}\n`,
        );
      }
      return (
        `dispatch ${report.dispatchId} on ${executor} (${describePlan(plan)}` +
        `${cancel === undefined ? "" : `, ${describeCancel(cancel)}`}` +
        `${describeWatching(how) ? `; ${describeWatching(how)}` : ""}) disagrees with the model:\n  ` +
        report.problems.join("\n  ")
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const property = fc.asyncProperty(fc.array(one, { minLength: 1, maxLength: parallel }), async (cases) => {
    if (failing && --shrinkBudget < 0) return;
    const problems = (await Promise.all(cases.map(runCase))).filter((p) => p !== undefined);
    if (!problems.length) return;
    failing = true;
    throw new Error(problems.join("\n"));
  });
  // Groups average (1 + parallel) / 2 plans.
  const numRuns = Math.ceil((2 * runs) / (1 + parallel));
  const outcome = await fc.check(property, { numRuns, seed, endOnFailure: false });
  if (outcome.failed) {
    const [cases] = outcome.counterexample ?? [[]];
    throw new Error(
      `the ${executor} executor disagrees with the model (seed ${seed}, path ${outcome.counterexamplePath}; ` +
        `replay: npm run fuzz -- --executor ${executor} --seed ${seed} --runs ${runs}` +
        `${parallel > 1 ? ` with VALENCE_FUZZ_PARALLEL=${parallel}` : ""}).\n` +
        `${outcome.errorInstance instanceof Error ? outcome.errorInstance.message : String(outcome.errorInstance)}\n` +
        `the smallest plans found (run together):\n` +
        cases
          .map(
            ([plan, cancel, how]) =>
              `${cancel === undefined ? "" : `(${describeCancel(cancel)}) `}` +
              `${describeWatching(how) ? `(${describeWatching(how)}) ` : ""}${JSON.stringify(plan)}`,
          )
          .join("\n"),
    );
  }
  return stats;
}
