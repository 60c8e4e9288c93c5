// Runs a plan through a real dispatcher and compares what happened with the model: every task node's
// status, attempts and output, the dispatch's status, result and error, and the side effects each
// attempt left in the plan's log (which attempts started, which succeeded — so every completed node
// ran exactly once and nothing started after a dependency failed). A dispatch cancelled at a random
// moment can end many ways; then only what must hold whatever the moment is checked. Nodes cancelled
// at a random moment (`cancelNodes`) each end CANCELLED or as the model says (they had ended first);
// the model then says what the others do, exactly: dependants of a cancelled node never start, the
// rest runs as ever.
import { appendFileSync, readFileSync } from "node:fs";
import { isDeepStrictEqual } from "node:util";
import { join } from "node:path";
import * as ct from "valence-workflows";
import { latticeFor } from "./flow.ts";
import { childBase, expectedOf, refusedAt, type Expected, type ExpectedTask, type Failure } from "./model.ts";
import { dagProblems, dispatchVersion1, observe, type ObserveOptions } from "./observe.ts";
import { refsOf, type Plan } from "./plan.ts";

/** `ct.cancel(id, [the nodes of these top-level tasks])`, this many ms after the dispatch was sent. */
export interface NodeCancel {
  readonly afterMs: number;
  /** Indices of the plan's top-level tasks. */
  readonly tasks: readonly number[];
}

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
  /** Cancel some nodes at a random moment (not with `cancelAfterMs`). */
  readonly cancelNodes?: NodeCancel | undefined;
}

/** What compare needs to know besides the plan and the result. */
export interface CompareOptions {
  /** The executor the plan ran on (default local): what a task asking for too many CPUs does depends on it. */
  readonly executor?: string | undefined;
  /** The top-level tasks whose nodes the user cancelled (RunOptions.cancelNodes). */
  readonly cancelTasks?: readonly number[] | undefined;
}

/** Starts and successes per task id, from the log. */
export interface SideEffects {
  readonly starts: Map<number, number[]>;
  readonly dones: Map<number, number[]>;
  /** Every line of a task id in the order written, as "<what> <attempt>" (hooks' "before" and "after" too). */
  readonly lines?: Map<number, string[]>;
}

export function readSideEffects(log: string): SideEffects {
  const starts = new Map<number, number[]>();
  const dones = new Map<number, number[]>();
  const lines = new Map<number, string[]>();
  for (const line of readFileSync(log, "utf8").split("\n")) {
    const [what, id, attempt] = line.split(" ");
    if (what === "start" || what === "done" || what === "before" || what === "after") {
      const list = lines.get(Number(id)) ?? [];
      list.push(`${what} ${attempt}`);
      lines.set(Number(id), list);
    }
    if (what !== "start" && what !== "done") continue;
    const into = what === "start" ? starts : dones;
    const list = into.get(Number(id)) ?? [];
    list.push(Number(attempt));
    into.set(Number(id), list);
  }
  for (const list of [...starts.values(), ...dones.values()]) list.sort((a, b) => a - b);
  return { starts, dones, lines };
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
  const refused = refusedAt(plan, executor);
  let dispatch: ct.DispatchRef;
  try {
    dispatch = options.version1
      ? await dispatchVersion1(lattice, [plan, log, executor])
      : await ct.dispatch(lattice)(plan, log, executor);
  } catch (error) {
    if (!refused) throw error;
    return { dispatchId: "(refused)", status: "REFUSED", problems: refusalProblems(error, readSideEffects(log)) };
  }
  if (refused) {
    await ct.cancel(dispatch);
    await ct.getResult(dispatch, { wait: true, timeoutMs: options.timeoutMs ?? 60_000 });
    const problems = ["dispatch: accepted, the model says it is refused (a task asks for 1000 CPUs)"];
    return { dispatchId: String(dispatch), status: "ACCEPTED", problems };
  }
  const observation = options.observe ? await observe(String(dispatch), options.observe) : undefined;
  if (options.cancelAfterMs !== undefined) {
    await new Promise((resolve) => setTimeout(resolve, options.cancelAfterMs));
    await ct.cancel(dispatch);
  } else if (options.cancelNodes) {
    await new Promise((resolve) => setTimeout(resolve, options.cancelNodes!.afterMs));
    await ct.cancel(
      dispatch,
      options.cancelNodes.tasks.map((i) => nodes[i]!),
    );
  }
  const result = await ct.getResult(dispatch, { wait: true, timeoutMs: options.timeoutMs ?? 60_000 });
  const problems = await compare(plan, result, nodes, readSideEffects(log), options.cancelAfterMs !== undefined, {
    executor,
    cancelTasks: options.cancelAfterMs === undefined ? options.cancelNodes?.tasks : undefined,
  });
  if (observation) problems.push(...(await observation.check(result, lattice.build(plan, log, executor))));
  else if (options.version1) problems.push(...(await dagProblems(result, lattice.build(plan, log, executor))));
  return { dispatchId: result.dispatchId, status: result.status, problems };
}

/** A dispatch refused as the model says: its error names the greedy electron, and nothing ran. */
function refusalProblems(error: unknown, effects: SideEffects): string[] {
  const problems: string[] = [];
  const message = error instanceof Error ? error.message : String(error);
  if (!/electron "work" \(node \d+\) needs 1000 CPUs but executor "\w+" has \d+/.test(message)) {
    problems.push(`dispatch: refused with "${message}", the model says for a task asking for 1000 CPUs`);
  }
  if (effects.starts.size) problems.push(`dispatch: refused, yet tasks ${[...effects.starts.keys()]} started`);
  return problems;
}

/** What the error of a node that failed this way says. */
const FAILURES: Record<Failure, { readonly name?: string; readonly message: RegExp }> = {
  planned: { message: /planned failure of task/ },
  timeout: { message: /timed out/ },
  exit: { name: "WorkerExitError", message: /its worker exited with code 3/ },
  crash: { name: "Error", message: /an uncaught Error crashed its worker .*: planned crash of task \d+, attempt \d+$/ },
  npm: { name: "NpmInstallError", message: /could not install the electron's npm dependencies \(deps\.npm: file:/ },
  "no-worker": { name: "NoWorkerError", message: /1000 CPU/ },
  refused: {
    name: "DispatchRejected",
    message:
      /^sublattice "child" was refused at dispatch: electron "work" \(node \d+\) needs 1000 CPUs but executor "\w+" has \d+$/,
  },
};

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
  more: CompareOptions = {},
): Promise<string[]> {
  const states = new Map(result.nodes.map((n) => [n.id, n]));
  // The chosen nodes that ended CANCELLED: the model runs the plan without them.
  const cut = new Set((more.cancelTasks ?? []).filter((i) => states.get(nodes[i]!)?.status === "CANCELLED"));
  const expected = expectedOf(plan, 0, [], { executor: more.executor, cut });
  const problems: string[] = [];
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
    if (task.cut) {
      if (node.attempts > task.attempts) {
        problems.push(`${at}: cancelled after ${node.attempts} attempts, the model makes ${task.attempts} at most`);
      }
      continue;
    }
    if (node.status !== task.status) problems.push(`${at}: ${node.status}, the model says ${task.status}`);
    else if (node.attempts !== task.attempts) {
      problems.push(`${at}: ${node.attempts} attempts, the model says ${task.attempts}`);
    }
    if (node.status === "COMPLETED" && task.status === "COMPLETED") {
      const { output, logs } = await result.getNodeResult(nodes[i]!);
      if (!isDeepStrictEqual(output, task.output)) {
        problems.push(`${at}: output ${show(output)}, the model says ${show(task.output)}`);
      }
      if (task.hooks) {
        // The hooks print too: the lines are the task's logs, of the attempt they ran in.
        const printed = logs.filter((l) => l.attempt === task.attempts).map((l) => l.text);
        for (const when of ["before", "after"]) {
          const line = `hook ${when} ${task.id} ${task.attempts}`;
          if (!printed.some((text) => text.includes(line))) {
            problems.push(`${at}: its logs of attempt ${task.attempts} lack "${line}": ${show(printed)}`);
          }
        }
      }
    }
    if (node.status === "FAILED" && task.timedOut && !/timed out/.test(node.error?.message ?? "")) {
      problems.push(`${at}: failed with "${node.error?.message}", the model says it timed out`);
    }
    const failure = task.failure ? FAILURES[task.failure] : undefined;
    if (node.status === "FAILED" && task.status === "FAILED" && failure) {
      const { name, message = "" } = node.error ?? {};
      if (!failure.message.test(message) || (failure.name && name !== failure.name)) {
        problems.push(`${at}: failed with ${name} "${message}", the model says ${failure.name ?? task.failure}`);
      }
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
  const check = (task: ExpectedTask, at: string, ran: boolean | undefined, loose = false): void => {
    const starts = effects.starts.get(task.id) ?? [];
    const dones = effects.dones.get(task.id) ?? [];
    const wanted = task.started ? [...task.started] : Array.from({ length: task.attempts }, (_, k) => k + 1);
    const done = task.status === "COMPLETED" || task.wouldComplete ? [task.attempts] : [];
    if (task.hooks && effects.lines) {
      // Each attempt that starts: its callBefore, the function; on success its callAfter.
      const sequence = wanted.flatMap((k) => [
        `before ${k}`,
        `start ${k}`,
        ...(done.includes(k) ? [`done ${k}`, `after ${k}`] : []),
      ]);
      const lines = effects.lines.get(task.id) ?? [];
      const agrees = cancelled || loose ? isPrefix(lines, sequence) : isDeepStrictEqual(lines, sequence);
      if (!agrees) problems.push(`${at}: hooks and attempts ran as ${show(lines)}, the model says ${show(sequence)}`);
    }
    if (cancelled || loose) {
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
    loose = false,
  ): void => {
    tasks.forEach((task, i) => {
      const at = `${path}task ${i}`;
      const deps = new Set([...subPlan.tasks[i]!.waits, ...subPlan.tasks[i]!.args.flatMap((a) => [...refsOf(a)])]);
      const ran = statuses ? [...deps].every((d) => statuses[d] === "COMPLETED") : undefined;
      if (!task.child) return check(task, at, ran, loose || task.cut);
      if (task.cut || loose) {
        // Cancelled by the user while its child ran (or before it started): the child stopped anywhere.
        walk(task.child.tasks, childBase(base, i), `${at} › `, subPlan.tasks[i]!.sub!, undefined, true);
        return check(task.child.final!, `${at} › its final call`, ran, true);
      }
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

function isPrefix<T>(list: readonly T[], of: readonly T[]): boolean {
  return list.length <= of.length && list.every((x, k) => x === of[k]);
}

/** A value for a message: JSON, long strings cut (outputs may carry 1 MB fillers). */
export function show(value: unknown): string {
  const text = JSON.stringify(value, (_key, v: unknown) =>
    typeof v === "string" && v.length > 40 ? `${v.slice(0, 20)}…(${v.length})` : v,
  );
  return text === undefined ? "undefined" : text.length > 400 ? `${text.slice(0, 400)}…` : text;
}
