// Runs a plan through a real dispatcher and compares what happened with the model: every task node's
// status, attempts and output, the dispatch's status, result and error, and the side effects each
// attempt left in the plan's log (which attempts started, which succeeded — so every completed node
// ran exactly once and nothing started after a dependency failed). A dispatch cancelled at a random
// moment can end many ways; then only what must hold whatever the moment is checked.
import { appendFileSync, readFileSync } from "node:fs";
import { isDeepStrictEqual } from "node:util";
import { join } from "node:path";
import * as ct from "valence";
import { latticeFor } from "./flow.ts";
import { childBase, expectedOf, type Expected, type ExpectedTask } from "./model.ts";
import { dagProblems, dispatchVersion1, observe, type ObserveOptions } from "./observe.ts";
import { refsOf, type Plan } from "./plan.ts";

export interface RunOptions {
  /** Cancel the whole dispatch this many ms after it was sent. */
  readonly cancelAfterMs?: number | undefined;
  /** Directory for the plan's log (a fresh one per plan). */
  readonly dir: string;
  readonly timeoutMs?: number;
  /** Follow the dispatch over the websocket as clients do, and check its DAG document (observe.ts). */
  readonly observe?: ObserveOptions | undefined;
  /** Send the graph as version 1 (an object per node and edge), as older clients do; its DAG document is checked. */
  readonly version1?: boolean | undefined;
}

/** Starts and successes per task id, from the log. */
export interface SideEffects {
  readonly starts: Map<number, number[]>;
  readonly dones: Map<number, number[]>;
}

export function readSideEffects(log: string): SideEffects {
  const starts = new Map<number, number[]>();
  const dones = new Map<number, number[]>();
  for (const line of readFileSync(log, "utf8").split("\n")) {
    const [what, id, attempt] = line.split(" ");
    if (what !== "start" && what !== "done") continue;
    const into = what === "start" ? starts : dones;
    const list = into.get(Number(id)) ?? [];
    list.push(Number(attempt));
    into.set(Number(id), list);
  }
  for (const list of [...starts.values(), ...dones.values()]) list.sort((a, b) => a - b);
  return { starts, dones };
}

/** The ids of the plan's task nodes (electrons and sublattices, one per task, in call order). */
export function taskNodeIds(plan: Plan, log: string, executor: string): number[] {
  const graph = latticeFor(executor).build(plan, log, executor);
  return graph.nodes.filter((n) => n.kind === "electron" || n.kind === "sublattice").map((n) => n.id);
}

/** What one run gave, for a report. */
export interface RunReport {
  readonly dispatchId: string;
  readonly status: string;
  readonly problems: string[];
}

/** Dispatches `plan` on `executor` and returns every disagreement with the model (none: it agrees). */
export async function runAndCompare(plan: Plan, executor: string, options: RunOptions): Promise<RunReport> {
  const log = join(options.dir, "log");
  appendFileSync(log, "");
  const nodes = taskNodeIds(plan, log, executor);
  const lattice = latticeFor(executor);
  const dispatch = options.version1
    ? await dispatchVersion1(lattice, [plan, log, executor])
    : await ct.dispatch(lattice)(plan, log, executor);
  const observation = options.observe ? await observe(String(dispatch), options.observe) : undefined;
  if (options.cancelAfterMs !== undefined) {
    await new Promise((resolve) => setTimeout(resolve, options.cancelAfterMs));
    await ct.cancel(dispatch);
  }
  const result = await ct.getResult(dispatch, { wait: true, timeoutMs: options.timeoutMs ?? 60_000 });
  const problems = await compare(plan, result, nodes, readSideEffects(log), options.cancelAfterMs !== undefined);
  if (observation) problems.push(...(await observation.check(result, lattice.build(plan, log, executor))));
  else if (options.version1) problems.push(...(await dagProblems(result, lattice.build(plan, log, executor))));
  return { dispatchId: result.dispatchId, status: result.status, problems };
}

/**
 * The disagreements between a finished dispatch of `plan` and the model. `effects`: the plan's log, or
 * undefined when the caller checks it otherwise (crash.ts: a kill allows some attempts to run again).
 */
export async function compare(
  plan: Plan,
  result: ct.Result,
  nodes: readonly number[],
  effects: SideEffects | undefined,
  cancelled: boolean,
): Promise<string[]> {
  const expected = expectedOf(plan);
  const problems: string[] = [];
  const states = new Map(result.nodes.map((n) => [n.id, n]));
  const observed: string[] = [];
  for (const [i, task] of expected.tasks.entries()) {
    const node = states.get(nodes[i]!);
    const at = `task ${i} (node ${nodes[i]})`;
    if (!node) {
      problems.push(`${at}: missing from the result`);
      continue;
    }
    observed.push(node.status);
    if (!["COMPLETED", "FAILED", "CANCELLED"].includes(node.status)) {
      problems.push(`${at}: ${node.status} after the dispatch ended ${result.status}`);
      continue;
    }
    if (cancelled && node.status === "CANCELLED") continue;
    if (node.status !== task.status) problems.push(`${at}: ${node.status}, the model says ${task.status}`);
    else if (node.attempts !== task.attempts) {
      problems.push(`${at}: ${node.attempts} attempts, the model says ${task.attempts}`);
    }
    if (node.status === "COMPLETED" && task.status === "COMPLETED") {
      const { output } = await result.getNodeResult(nodes[i]!);
      if (!isDeepStrictEqual(output, task.output)) {
        problems.push(`${at}: output ${show(output)}, the model says ${show(task.output)}`);
      }
    }
    if (node.status === "FAILED" && task.timedOut && !/timed out/.test(node.error?.message ?? "")) {
      problems.push(`${at}: failed with "${node.error?.message}", the model says it timed out`);
    }
  }
  problems.push(...dispatchProblems(expected, result, nodes, cancelled));
  if (effects) problems.push(...effectProblems(plan, expected, effects, observed, cancelled));
  return problems;
}

function dispatchProblems(
  expected: Expected,
  result: ct.Result,
  nodes: readonly number[],
  cancelled: boolean,
): string[] {
  const problems: string[] = [];
  const allowed = cancelled ? ["CANCELLED", expected.status] : [expected.status];
  if (!allowed.includes(result.status)) {
    problems.push(`dispatch: ${result.status}, the model says ${expected.status}${cancelled ? " (or CANCELLED)" : ""}`);
  }
  if (result.status === "COMPLETED" && !isDeepStrictEqual(result.result, expected.result)) {
    problems.push(`dispatch: result ${show(result.result)}, the model says ${show(expected.result)}`);
  }
  if (result.status === "FAILED") {
    const named = /\(node (\d+)\) failed/.exec(result.error?.message ?? "");
    const task = named ? nodes.indexOf(Number(named[1])) : -1;
    if (task < 0 || expected.tasks[task]!.status !== "FAILED") {
      problems.push(`dispatch: its error "${result.error?.message}" names no task the model fails`);
    }
  }
  return problems;
}

/**
 * The log against the model: a task's attempts started in order, once each, only after everything it
 * depends on completed; a completed task succeeded exactly once. `observed`: the top-level task
 * statuses (a cancelled run stops anywhere: there, what started must only be consistent).
 */
export function effectProblems(
  plan: Plan,
  expected: Expected,
  effects: SideEffects,
  observed: readonly string[],
  cancelled: boolean,
): string[] {
  const problems: string[] = [];
  const check = (task: ExpectedTask, at: string, ran: boolean | undefined): void => {
    const starts = effects.starts.get(task.id) ?? [];
    const dones = effects.dones.get(task.id) ?? [];
    const wanted = Array.from({ length: task.attempts }, (_, k) => k + 1);
    const done = task.status === "COMPLETED" ? [task.attempts] : [];
    if (cancelled) {
      if (!isPrefix(starts, wanted)) problems.push(`${at}: attempts ${starts} started, the model allows ${wanted}`);
      if (dones.length && !isDeepStrictEqual(dones, done))
        problems.push(`${at}: succeeded in attempts ${dones}, the model says ${done}`);
      if (ran === false && starts.length) problems.push(`${at}: started although a dependency did not complete`);
      return;
    }
    if (!isDeepStrictEqual(starts, wanted))
      problems.push(`${at}: attempts ${show(starts)} started, the model says ${show(wanted)}`);
    if (!isDeepStrictEqual(dones, done))
      problems.push(`${at}: succeeded in attempts ${show(dones)}, the model says ${show(done)}`);
  };
  const walk = (
    tasks: readonly ExpectedTask[],
    base: number,
    path: string,
    subPlan: Plan,
    statuses?: readonly string[],
  ): void => {
    tasks.forEach((task, i) => {
      const at = `${path}task ${i}`;
      const deps = new Set([...subPlan.tasks[i]!.waits, ...subPlan.tasks[i]!.args.flatMap((a) => [...refsOf(a)])]);
      const ran = statuses ? [...deps].every((d) => statuses[d] === "COMPLETED") : undefined;
      if (!task.child) return check(task, at, ran);
      // A sublattice: its tasks, and its final call. One never started ran none of them.
      const notRun = (t: ExpectedTask): ExpectedTask => ({ ...t, status: "CANCELLED", attempts: 0 });
      const started = task.status !== "CANCELLED";
      const child = started ? task.child.tasks : task.child.tasks.map(notRun);
      walk(child, childBase(base, i), `${at} › `, subPlan.tasks[i]!.sub!);
      const final = started ? task.child.final! : notRun(task.child.final!);
      check(final, `${at} › its final call`, ran);
    });
  };
  walk(expected.tasks, 0, "", plan, cancelled ? observed : undefined);
  return problems;
}

function isPrefix(list: readonly number[], of: readonly number[]): boolean {
  return list.length <= of.length && list.every((x, k) => x === of[k]);
}

/** A value for a message: JSON, long strings cut (outputs may carry 1 MB fillers). */
export function show(value: unknown): string {
  const text = JSON.stringify(value, (_key, v: unknown) =>
    typeof v === "string" && v.length > 40 ? `${v.slice(0, 20)}…(${v.length})` : v,
  );
  return text === undefined ? "undefined" : text.length > 400 ? `${text.slice(0, 400)}…` : text;
}
