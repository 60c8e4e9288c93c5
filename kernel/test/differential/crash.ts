// Crash points for the differential test: a plan is dispatched, a process is killed with -9 at a
// random moment (the dispatcher, or a `valence worker`), the run goes on after a restart, and the
// outcome is compared with the same model as an uninterrupted run (model.ts, check.ts `compare`).
//
// What a crash may change, and so what is checked instead of check.ts's exact log:
//   - Statuses, attempts, outputs, the dispatch's status, result and error: exactly the model's. A
//     task that had not ended (completed, or failed for good) when the dispatcher died goes on where
//     the store has it: attempts that failed before its last recorded one stay failed, and that last
//     one (in flight, waiting, or just failed) runs again under its own number. A task whose worker died
//     runs the attempt it was in again elsewhere, with the same number. Either way attempt k behaves
//     as planned, so planned failures by attempt give the model's outcome wherever the kill lands.
//     Stalls are left out (each costs a timeout, again after a restart).
//   - The log: a task that had ended before the kill (in the snapshot taken just before it) never
//     starts again: its starts are 1…attempts once each, and it succeeded once if it completed. Any
//     other task the model runs started each of its attempts 1…attempts at least once and at most
//     twice; the repeats are consecutive attempts (those whose outcomes the kill lost), never one
//     the snapshot shows ended; after a worker crash one attempt at most (the one in flight). One the
//     model completes succeeded in its last attempt, once, or twice when its success came too late to
//     be recorded; one the model fails never succeeded; one the model never runs never started.
import fc from "fast-check";
import * as ct from "valence-workflows";
import { campaignRuns, campaignSeed } from "./campaign.ts";
import type { SideEffects } from "./check.ts";
import { expectedOf, type ExpectedTask, type Output } from "./model.ts";
import { describePlan, planArbitrary, TIMED, VARIANTS, type Plan, type PlanShape } from "./plan.ts";

/** Plans for crash points: smaller (every run costs a process restart), no stalls. */
export const CRASH_SHAPE: PlanShape = { maxTasks: 12, subs: true, stalls: false, failures: true };

/**
 * When the kill comes: `afterMs` after the dispatch was sent, or once `afterPercent` % of the plan's
 * top-level tasks completed (rounded down: 0 kills as soon as the dispatch is accepted).
 */
export type KillPoint = { readonly afterMs: number } | { readonly afterPercent: number };

export const killPointArbitrary: fc.Arbitrary<KillPoint> = fc.oneof(
  fc.record({ afterMs: fc.integer({ min: 0, max: 300 }) }),
  fc.record({ afterPercent: fc.integer({ min: 0, max: 95 }) }),
);

/**
 * Crash plans: `CRASH_SHAPE` with sleeps ten times longer (20 and 150 ms), so kills find tasks
 * running, and more planned failures (a failed task is settled state the restart must keep).
 * `timeouts: false` gives the timed variant's tasks its retry without its timeout: a task whose
 * worker is killed runs again only once the worker is found dead (seconds), so an attempt in flight
 * then outlives a 1500 ms timeout and fails (a retry the model of an uninterrupted run does not have).
 */
export function crashPlanArbitrary(
  shape: PlanShape = CRASH_SHAPE,
  { timeouts = true }: { timeouts?: boolean } = {},
): fc.Arbitrary<Plan> {
  const fails = fc.oneof(
    { weight: 5, arbitrary: fc.constant<number[]>([]) },
    { weight: 1, arbitrary: fc.subarray([1, 2, 3], { minLength: 1 }) },
  );
  return fc
    .tuple(planArbitrary(shape), fc.array(fails, { maxLength: shape.maxTasks }))
    .map(([plan, extra]) => slowed(withFailures(plan, extra), timeouts));
}

function withFailures(plan: Plan, extra: readonly number[][]): Plan {
  return {
    ...plan,
    tasks: plan.tasks.map((task, i) =>
      task.sub || !extra[i]?.length
        ? task
        : { ...task, fails: [...new Set([...task.fails, ...extra[i]!])].sort((a, b) => a - b) },
    ),
  };
}

/** The variant with the timed variant's retries and no timeout. */
const retriesOf = (v: (typeof VARIANTS)[number] | undefined): number | undefined =>
  v && "retries" in v ? v.retries : undefined;
const UNTIMED = VARIANTS.findIndex((v) => !("timeoutMs" in v) && retriesOf(v) === retriesOf(VARIANTS[TIMED]));

function slowed(plan: Plan, timeouts: boolean): Plan {
  return {
    ...plan,
    tasks: plan.tasks.map((task) => ({
      ...task,
      ms: task.ms > 0 ? task.ms * 10 : task.ms,
      ...(task.variant === TIMED && !timeouts ? { variant: UNTIMED } : {}),
      ...(task.sub ? { sub: slowed(task.sub, timeouts) } : {}),
    })),
  };
}

const FINAL_STATUSES = ["COMPLETED", "FAILED", "CANCELLED"];

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits for the kill point: the time, or the count of completed task nodes (or the dispatch's end). */
export async function reachKillPoint(dispatchId: string, nodes: readonly number[], point: KillPoint): Promise<void> {
  if ("afterMs" in point) return sleep(point.afterMs);
  const count = Math.floor((nodes.length * point.afterPercent) / 100);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const result = await ct.getResult(dispatchId);
    if (FINAL_STATUSES.includes(result.status) || Date.now() > deadline) return;
    const states = new Map(result.nodes.map((n) => [n.id, n.status]));
    if (nodes.filter((id) => states.get(id) === "COMPLETED").length >= count) return;
    await sleep(5);
  }
}

/** What the dispatcher says just before the kill. */
export interface Snapshot {
  /** Task ids (the ids in the log) of the electron calls that had ended: COMPLETED or FAILED. */
  readonly ended: ReadonlySet<number>;
  /** Per task id of a top-level call still going: how many of its attempts had surely ended (failed). */
  readonly attemptsEnded: ReadonlyMap<number, number>;
  /** How many of them COMPLETED. */
  readonly completed: number;
  /** Task nodes RUNNING (top level and in child dispatches). */
  readonly running: number;
  /** The dispatch had finished. */
  readonly finished: boolean;
}

/** The snapshot of `dispatchId`: its task nodes (`nodes`, in plan order) and its child dispatches' tasks. */
export async function snapshot(dispatchId: string, plan: Plan, nodes: readonly number[]): Promise<Snapshot> {
  const result = await ct.getResult(dispatchId);
  const states = new Map(result.nodes.map((n) => [n.id, n.status]));
  const ended = new Set<number>();
  const attemptsEnded = new Map<number, number>();
  let completed = 0;
  let running = 0;
  const byId = new Map(result.nodes.map((n) => [n.id, n]));
  plan.tasks.forEach((task, i) => {
    const status = states.get(nodes[i]!);
    const attempts = byId.get(nodes[i]!)?.attempts ?? 0;
    if ((status === "PENDING" || status === "RUNNING") && !task.sub && attempts > 0) attemptsEnded.set(i, attempts - 1); // the last one may be in flight, or waiting for a worker
    if (status === "RUNNING") running++;
    if (status === "COMPLETED") completed++;
    // A sublattice logs nothing itself: its child dispatch's tasks are read below.
    if ((status === "COMPLETED" || status === "FAILED") && !task.sub) ended.add(i);
  });
  // A child dispatch's task nodes: a completed one's output names its task id, a failed one's error.
  if (plan.tasks.some((task) => task.sub)) {
    const children = (await ct.listDispatches({ limit: 100_000 })).filter((d) => d.parentId === dispatchId);
    for (const child of children) {
      const childResult = await ct.getResult(child.id);
      for (const node of childResult.nodes) {
        if (node.status === "RUNNING") running++;
        if (node.status === "FAILED") {
          const failure = /planned failure of task (\d+),/.exec(node.error?.message ?? "");
          if (failure) ended.add(Number(failure[1]));
        }
        if (node.status !== "COMPLETED" || node.attempts === 0) continue;
        completed++;
        const { output } = await childResult.getNodeResult(node.id);
        const id = (output as Partial<Output> | undefined)?.id;
        if (typeof id === "number" && Array.isArray((output as Output).pair)) ended.add(id);
      }
    }
  }
  return { ended, attemptsEnded, completed, running, finished: FINAL_STATUSES.includes(result.status) };
}

/** One electron call of a plan as the model has it: its task id, whether it runs, its attempts. */
interface ModelCall {
  readonly id: number;
  readonly at: string;
  readonly status: "COMPLETED" | "FAILED" | "CANCELLED";
  readonly attempts: number;
}

/** Every electron call of `plan` (sublattices' tasks and final calls included) as the model has it. */
function modelCalls(plan: Plan): ModelCall[] {
  const calls: ModelCall[] = [];
  const walk = (tasks: readonly ExpectedTask[], path: string): void => {
    tasks.forEach((task, i) => {
      const at = `${path}task ${i}`;
      // A sublattice writes nothing itself: its child's tasks and final call do (one never started has no child).
      if (!task.child) return void calls.push({ ...task, at });
      walk(task.child.tasks, `${at} › `);
      calls.push({ ...task.child.final!, at: `${at} › its final call` });
    });
  };
  walk(expectedOf(plan).tasks, "");
  return calls;
}

/** Which process the kill hit: what may run again differs (see the top of this file). */
export type CrashedProcess = "dispatcher" | "worker";

/** The log of a run with one kill against the model and the snapshot taken before the kill. */
export function crashEffectProblems(
  plan: Plan,
  effects: SideEffects,
  before: Snapshot,
  crashed: CrashedProcess,
): string[] {
  const problems: string[] = [];
  for (const call of modelCalls(plan)) {
    const starts = effects.starts.get(call.id) ?? [];
    const dones = effects.dones.get(call.id) ?? [];
    const at = `${call.at} (id ${call.id})`;
    const attempts = Array.from({ length: call.attempts }, (_, k) => k + 1);
    const shown = `started ${JSON.stringify(starts)}, succeeded ${JSON.stringify(dones)}`;
    if (!call.attempts) {
      if (starts.length) problems.push(`${at}: ${shown}, but the model never runs it`);
      continue;
    }
    const succeeded = call.status === "COMPLETED" ? [call.attempts] : [];
    if (before.ended.has(call.id)) {
      if (starts.join() !== attempts.join() || dones.join() !== succeeded.join()) {
        problems.push(`${at}: ${call.status} before the kill, ${shown} (it ran again)`);
      }
      continue;
    }
    const counts = attempts.map((k) => starts.filter((s) => s === k).length);
    const repeated = counts.filter((c) => c === 2).length;
    if (starts.some((s) => s < 1 || s > call.attempts) || counts.some((c) => c < 1 || c > 2)) {
      problems.push(`${at}: ${shown}; the model has attempts ${JSON.stringify(attempts)}, each once or twice`);
    } else if (crashed === "dispatcher" && counts.slice(0, before.attemptsEnded.get(call.id) ?? 0).includes(2)) {
      problems.push(
        `${at}: ${shown}; ${before.attemptsEnded.get(call.id)} attempts had ended before the kill, and one ran again`,
      );
    } else if (crashed === "dispatcher" && !consecutive(counts)) {
      problems.push(
        `${at}: ${shown}; after a dispatcher crash only consecutive attempts (whose outcomes it lost) repeat`,
      );
    } else if (crashed === "worker" && repeated > 1) {
      problems.push(`${at}: ${shown}; after a worker crash only the attempt in flight repeats`);
    }
    const doneOk =
      call.status === "COMPLETED"
        ? dones.length >= 1 && dones.length <= 2 && dones.every((d) => d === call.attempts)
        : dones.length === 0;
    if (!doneOk) problems.push(`${at}: ${shown}; the model says it succeeds in attempts ${JSON.stringify(succeeded)}`);
  }
  return problems;
}

/** Whether the attempts that ran twice (count 2) are consecutive ones. */
function consecutive(counts: readonly number[]): boolean {
  const first = counts.indexOf(2);
  return first < 0 || counts.slice(first, counts.lastIndexOf(2) + 1).every((c) => c === 2);
}

/** How the kills landed, for the test's diagnostic. */
export interface CrashStats {
  kills: number;
  /** Kills while a task node was RUNNING. */
  whileRunning: number;
  /** Kills after some task completed, before the dispatch finished. */
  afterSomeCompleted: number;
  /** Kills before any task completed. */
  beforeAnyCompleted: number;
  /** Kills after the dispatch had finished. */
  afterFinish: number;
  /** Runs where some attempt started twice (it was in flight at the kill, or lost). */
  startedAgain: number;
  /** Runs where some task succeeded twice (its success came too late to be recorded). */
  succeededTwice: number;
  statuses: Record<string, number>;
  /** Mean ms per kill point: the whole run; the kill with the restart; from then to the dispatch's end. */
  ms: { run: number; restart: number; finish: number };
}

export function newCrashStats(): CrashStats {
  return {
    kills: 0,
    whileRunning: 0,
    afterSomeCompleted: 0,
    beforeAnyCompleted: 0,
    afterFinish: 0,
    startedAgain: 0,
    succeededTwice: 0,
    statuses: {},
    ms: { run: 0, restart: 0, finish: 0 },
  };
}

/** Counts one kill point: how it landed (`before`), what ran again, its timings (ms, averaged in). */
export function countKill(
  stats: CrashStats,
  before: Snapshot,
  effects: SideEffects,
  status: string,
  ms: CrashStats["ms"],
): void {
  stats.kills++;
  for (const key of ["run", "restart", "finish"] as const) {
    stats.ms[key] = Math.round(stats.ms[key] + (ms[key] - stats.ms[key]) / stats.kills);
  }
  if (before.running) stats.whileRunning++;
  if (before.finished) stats.afterFinish++;
  else if (before.completed) stats.afterSomeCompleted++;
  else stats.beforeAnyCompleted++;
  const twice = (lists: Iterable<number[]>): boolean =>
    [...lists].some((list) => list.some((x, k) => list.indexOf(x) !== k));
  if (twice(effects.starts.values())) stats.startedAgain++;
  if ([...effects.dones.values()].some((list) => list.length > 1)) stats.succeededTwice++;
  stats.statuses[status] = (stats.statuses[status] ?? 0) + 1;
}

/** Plans tried while shrinking a disagreement, at most (each costs a process restart or more). */
const SHRINK_RUNS = 40;

/**
 * Runs `runs` crash points (VALENCE_FUZZ_RUNS overrides) with a printed seed (VALENCE_FUZZ_SEED
 * replays): `run` gives the disagreements of each of `plans` with its kill point of `kills`. Throws with the seed and the
 * smallest failing case.
 */
export async function crashCampaign<K>(
  name: string,
  runs: number,
  plans: fc.Arbitrary<Plan>,
  kills: fc.Arbitrary<K>,
  run: (plan: Plan, kill: K) => Promise<string[]>,
): Promise<void> {
  const seed = campaignSeed();
  const numRuns = campaignRuns(runs);
  let shrinkBudget = SHRINK_RUNS;
  let failing = false;
  let done = 0;
  const started = Date.now();
  const property = fc.asyncProperty(plans, kills, async (plan, kill) => {
    if (failing && --shrinkBudget < 0) return;
    const problems = await run(plan, kill);
    done++;
    if (process.env.VALENCE_FUZZ_RUNS && (done % 10 === 0 || done === numRuns)) {
      const rate = (done / ((Date.now() - started) / 1000)).toFixed(2);
      process.stderr.write(`fuzz ${name}: ${done}/${numRuns} kill points agree (${rate}/s)\n`);
    }
    if (problems.length) {
      failing = true;
      throw new Error(
        `${name} (${describePlan(plan)}, kill ${JSON.stringify(kill)}) disagrees with the model:\n  ` +
          problems.join("\n  "),
      );
    }
  });
  const outcome = await fc.check(property, { numRuns, seed, endOnFailure: false, verbose: 1 });
  if (outcome.failed) {
    const [plan, kill] = outcome.counterexample ?? [];
    throw new Error(
      `${name}: a crash point disagrees with the model (seed ${seed}, path ${outcome.counterexamplePath}; ` +
        `replay: npm run fuzz -- --executor crash --seed ${seed} --runs ${numRuns}).\n` +
        `${outcome.errorInstance instanceof Error ? outcome.errorInstance.message : String(outcome.errorInstance)}\n` +
        `the smallest case found (kill ${JSON.stringify(kill)}):\n${JSON.stringify(plan as Plan)}`,
    );
  }
}
