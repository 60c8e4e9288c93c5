// Results reused by content, in the differential test: after a plan's first dispatch, a redispatch
// with `reusePreviousResults` and a second fresh dispatch of the same plan (same log path, so the
// same arguments everywhere) — and, for half the plans, the dispatch a directory trigger on that one
// makes — must give what the model gives for a fresh run (statuses, outputs, the result), while the
// nodes the README says are reused are marked `reused` and leave no new line in the log (they did
// not run), and every other node runs again exactly as the model says (its planned
// failures by attempt apply again from attempt 1: a new dispatch's attempts start at 1). Then all of
// them are deleted, and must be gone, with their triggers.
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import * as ct from "valence-workflows";
import { deleteDispatches } from "#src/client/api.js";
import { latticeFor } from "./flow.ts";
import { childBase, expectedOf, type Expected, type ExpectedTask } from "./model.ts";
import { type Plan, type PlanTask } from "./plan.ts";
import { taskNodeIds } from "./check.ts";

/** The `cache: true` variant of plan.ts VARIANTS. */
export const CACHED = 4;

/**
 * Which task of a later run of the plan takes its output without running. `task`: the model's fresh
 * run (the earlier run ended the same way: plans are deterministic); `planTask`: undefined for a
 * sublattice's final call; `top`: a task of the dispatch itself, not of a sublattice's child dispatch.
 */
export type ReusePolicy = (task: ExpectedTask, planTask: PlanTask | undefined, top: boolean) => boolean;

/**
 * Redispatch with `reusePreviousResults` after a run of the same plan: every top-level node (electron
 * or sublattice) that completed is reused. A sublattice that failed runs again as a new child
 * dispatch, which reuses what the failed child completed; `cache: true` tasks hit anyway.
 */
export const redispatchReuse: ReusePolicy = (task) => task.status === "COMPLETED";

/** A fresh dispatch after a run of the same plan: only `cache: true` tasks that completed are reused, at any depth. */
export const cacheReuse: ReusePolicy = (task, planTask) =>
  task.status === "COMPLETED" && planTask?.variant === CACHED && planTask.kind === "task";

/** Starts and successes per task id, from a piece of the log. */
export function effectsIn(text: string): Map<number, { starts: number[]; dones: number[] }> {
  const effects = new Map<number, { starts: number[]; dones: number[] }>();
  for (const line of text.split("\n")) {
    const [what, id, attempt] = line.split(" ");
    if (what !== "start" && what !== "done") continue;
    const entry = effects.get(Number(id)) ?? { starts: [], dones: [] };
    (what === "start" ? entry.starts : entry.dones).push(Number(attempt));
    effects.set(Number(id), entry);
  }
  for (const entry of effects.values()) {
    entry.starts.sort((a, b) => a - b);
    entry.dones.sort((a, b) => a - b);
  }
  return effects;
}

/** What a later run must leave in the log: per electron call id, the attempts that start and succeed. */
export function expectedEffects(
  plan: Plan,
  expected: Expected,
  reused: ReusePolicy,
): Map<number, { starts: number[]; dones: number[] }> {
  const effects = new Map<number, { starts: number[]; dones: number[] }>();
  const runs = (task: ExpectedTask): void => {
    if (task.status === "CANCELLED" || !task.attempts) return;
    effects.set(task.id, {
      starts: Array.from({ length: task.attempts }, (_, k) => k + 1),
      dones: task.status === "COMPLETED" ? [task.attempts] : [],
    });
  };
  const walk = (tasks: readonly ExpectedTask[], subPlan: Plan, top: boolean): void => {
    tasks.forEach((task, i) => {
      const planTask = subPlan.tasks[i]!;
      if (reused(task, planTask, top)) return; // nothing under it runs either
      if (!task.child) return runs(task);
      if (task.status === "CANCELLED") return;
      walk(task.child.tasks, planTask.sub!, false);
      if (!reused(task.child.final!, undefined, false)) runs(task.child.final!);
    });
  };
  walk(expected.tasks, plan, true);
  return effects;
}

/** The attempts that stall, by electron call id (top level and in sublattices). */
function stalledAttempts(
  plan: Plan,
  base = 0,
  into = new Map<number, readonly number[]>(),
): Map<number, readonly number[]> {
  plan.tasks.forEach((task, i) => {
    if (task.stalls.length) into.set(base + i, task.stalls);
    if (task.sub) stalledAttempts(task.sub, childBase(base, i), into);
  });
  return into;
}

/** What one later run gave. */
export interface LaterRun {
  readonly dispatchId: string;
  readonly status: string;
  readonly problems: string[];
}

/**
 * Checks a finished later run of `plan` against the model and `policy`: the top-level task nodes'
 * statuses, outputs, attempts and `reused` marks, the dispatch's status, result and error, and the
 * log lines the run added (`logText`: the log after the run, `before`: its length before it).
 */
export async function compareLater(
  plan: Plan,
  result: ct.Result,
  nodes: readonly number[],
  policy: ReusePolicy,
  logText: string,
  before: number,
): Promise<string[]> {
  const expected = expectedOf(plan);
  const problems: string[] = [];
  const states = new Map(result.nodes.map((n) => [n.id, n]));
  for (const [i, task] of expected.tasks.entries()) {
    const at = `task ${i} (node ${nodes[i]})`;
    const node = states.get(nodes[i]!);
    if (!node) {
      problems.push(`${at}: missing from the result`);
      continue;
    }
    const reused = policy(task, plan.tasks[i], true);
    if (node.status !== task.status) {
      problems.push(`${at}: ${node.status}, the model says ${task.status}`);
      continue;
    }
    if (Boolean(node.reused) !== reused) {
      problems.push(`${at}: ${node.reused ? "" : "not "}marked reused, it should ${reused ? "" : "not "}be`);
    }
    const attempts = reused ? 0 : task.attempts;
    if (node.attempts !== attempts) problems.push(`${at}: ${node.attempts} attempts, expected ${attempts}`);
    if (task.status === "COMPLETED") {
      const { output } = await result.getNodeResult(nodes[i]!);
      if (!isDeepStrictEqual(output, task.output)) {
        problems.push(`${at}: output ${show(output)}, the model says ${show(task.output)}`);
      }
    }
  }
  if (result.status !== expected.status) problems.push(`dispatch: ${result.status}, the model says ${expected.status}`);
  else if (result.status === "COMPLETED" && !isDeepStrictEqual(result.result, expected.result)) {
    problems.push(`dispatch: result ${show(result.result)}, the model says ${show(expected.result)}`);
  } else if (result.status === "FAILED") {
    const named = /\(node (\d+)\) failed/.exec(result.error?.message ?? "");
    const task = named ? nodes.indexOf(Number(named[1])) : -1;
    if (task < 0 || expected.tasks[task]!.status !== "FAILED") {
      problems.push(`dispatch: its error "${result.error?.message}" names no task the model fails`);
    }
  }
  const seen = effectsIn(logText.slice(before));
  // A stalled attempt that timed out on inline keeps its timer: 30 s later it may note a success, in
  // the log of a later run. Such a line says nothing about the later run.
  for (const [id, attempts] of stalledAttempts(plan)) {
    const entry = seen.get(id);
    if (entry) entry.dones = entry.dones.filter((attempt) => !attempts.includes(attempt));
  }
  const wanted = expectedEffects(plan, expected, policy);
  for (const id of new Set([...seen.keys(), ...wanted.keys()])) {
    const got = seen.get(id) ?? { starts: [], dones: [] };
    const want = wanted.get(id) ?? { starts: [], dones: [] };
    if (!isDeepStrictEqual(got, want)) {
      problems.push(
        `call ${id}${id >= 1000 ? ` (in the sublattice of task ${Math.floor(id / 1000) - 1})` : ""}: ` +
          `started ${JSON.stringify(got.starts)} and succeeded ${JSON.stringify(got.dones)}, ` +
          `expected ${JSON.stringify(want.starts)} and ${JSON.stringify(want.dones)}` +
          (want.starts.length ? "" : " (reused: it must not run)"),
      );
    }
  }
  return problems;
}

/** What a plan's three runs gave: the first, the redispatch with reuse, the second fresh dispatch. */
export interface ReuseReport {
  readonly dispatchIds: string[];
  readonly statuses: string[];
  /** Disagreements, each prefixed with the run it was seen in. */
  readonly problems: string[];
  /** Top-level nodes the later runs reused. */
  readonly reused: number;
}

/**
 * Dispatches `plan` fresh, redispatches it with `reusePreviousResults`, then dispatches it fresh
 * again, and checks the two later runs (the first is the engine campaign's business; here only its
 * end matters: it must end as the model says, else nothing later can be predicted).
 */
export async function runReuse(plan: Plan, executor: string, dir: string): Promise<ReuseReport> {
  const log = join(dir, "log");
  appendFileSync(log, "");
  const nodes = taskNodeIds(plan, log, executor);
  const lattice = latticeFor(executor);
  const expected = expectedOf(plan);
  const wait = (d: ct.Dispatch): Promise<ct.Result> => ct.getResult(d, { wait: true, timeoutMs: 60_000 });
  const report: ReuseReport = { dispatchIds: [], statuses: [], problems: [], reused: 0 };
  const later = async (name: string, policy: ReusePolicy, start: () => Promise<ct.Dispatch>): Promise<void> => {
    const before = readFileSync(log, "utf8").length;
    const result = await wait(await start());
    report.dispatchIds.push(result.dispatchId);
    report.statuses.push(result.status);
    (report as { reused: number }).reused += result.nodes.filter((n) => n.reused && nodes.includes(n.id)).length;
    const problems = await compareLater(plan, result, nodes, policy, readFileSync(log, "utf8"), before);
    report.problems.push(...problems.map((p) => `${name} (dispatch ${result.dispatchId}): ${p}`));
  };

  const first = await wait(await ct.dispatch(lattice)(plan, log, executor));
  report.dispatchIds.push(first.dispatchId);
  report.statuses.push(first.status);
  if (first.status !== expected.status) {
    report.problems.push(
      `first run (dispatch ${first.dispatchId}): ${first.status}, the model says ${expected.status}`,
    );
    return report;
  }
  await later("redispatch with reusePreviousResults", redispatchReuse, () =>
    ct.redispatch(first.dispatchId, { reusePreviousResults: true })(),
  );
  // Half the plans: the second fresh dispatch carries a directory trigger, and a file written there
  // makes a fourth run, a normal dispatch that must agree with the model as a fresh one does.
  const watched = plan.tasks.length % 2 === 0 ? join(dir, "watched") : undefined;
  if (watched) mkdirSync(watched);
  let source: string | undefined;
  await later("second fresh dispatch", cacheReuse, async () => {
    const handle = await ct.dispatch(lattice, watched ? { triggers: [ct.dirTrigger(watched, { debounceMs: 0 })] } : {})(
      plan,
      log,
      executor,
    );
    source = handle.id;
    return handle;
  });
  if (watched && source) {
    await later("dispatch made by a directory trigger", cacheReuse, () => triggeredBy(source!, watched));
  }
  // Deleted for good: the dispatches (with their sublattices' and their triggers) are gone.
  const deleted = await deleteDispatches(report.dispatchIds);
  const missing = report.dispatchIds.filter((id) => !deleted.deleted.includes(id));
  if (missing.length) report.problems.push(`delete: ${missing.join(", ")} not deleted`);
  for (const id of report.dispatchIds) {
    const gone = await ct.getResult(id).then(
      () => false,
      (error: Error) => /no dispatch with id/.test(error.message),
    );
    if (!gone) report.problems.push(`delete: dispatch ${id} is still there`);
  }
  if (source && (await ct.listTriggers({ dispatchId: source, all: true })).length) {
    report.problems.push(`delete: the trigger of dispatch ${source} is still there`);
  }
  return report;
}

/** Writes into `watched` until the trigger of `source` makes a dispatch; stops the trigger; that dispatch. */
async function triggeredBy(source: string, watched: string): Promise<ct.Dispatch> {
  const [trigger] = await ct.listTriggers({ dispatchId: source });
  if (!trigger) throw new Error(`dispatch ${source} has no running trigger`);
  const deadline = Date.now() + 30_000;
  for (let i = 0; Date.now() < deadline; i++) {
    // Again every 2 s: the watcher may not have been ready for the first one.
    if (i % 40 === 0) writeFileSync(join(watched, `file-${i}`), "new data\n");
    const [now] = await ct.listTriggers({ dispatchId: source });
    if (now?.lastDispatchId) {
      await ct.stopTrigger(trigger.id);
      return new ct.Dispatch(now.lastDispatchId, "generated");
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the directory trigger of dispatch ${source} made no dispatch in 30 s`);
}

/** Task ids (top level and in sublattices) whose variant is `cache: true`, for statistics. */
export function cachedTasks(plan: Plan, base = 0): number {
  return plan.tasks.reduce(
    (n, task, i) =>
      n + (task.variant === CACHED && !task.sub ? 1 : 0) + (task.sub ? cachedTasks(task.sub, childBase(base, i)) : 0),
    0,
  );
}

/** Top-level sublattices that fail with some of their tasks completed (a redispatch reuses those), for statistics. */
export function failedSubsWithWork(plan: Plan): number {
  return expectedOf(plan).tasks.filter(
    (task) => task.child && task.status === "FAILED" && task.child.tasks.some((t) => t.status === "COMPLETED"),
  ).length;
}

/** A value for a message: JSON, long strings cut (outputs may carry 1 MB fillers). */
function show(value: unknown): string {
  const text = JSON.stringify(value, (_key, v: unknown) =>
    typeof v === "string" && v.length > 40 ? `${v.slice(0, 20)}…(${v.length})` : v,
  );
  return text === undefined ? "undefined" : text.length > 400 ? `${text.slice(0, 400)}…` : text;
}
