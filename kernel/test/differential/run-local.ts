// runLocal as a runner of the differential test: a plan's lattice run in this process with
// `ct.runLocal(lattice, { onNodeUpdate })`, compared with the same model as a dispatch (check.ts).
// What runLocal tells its caller is checked, as a user reads it:
// - its value: the model's result when the model says COMPLETED; when it says FAILED, a rejection with
//   a WorkflowError (TASK_FAILED) naming the first task that failed (its error as the `cause`), only
//   once every independent branch finished (README: a failed electron fails its dependants and the run);
// - the node updates (onNodeUpdate): per node, RUNNING for attempts 1, 2, … then one final status, the
//   model's, nothing after it; every node of the graph ends;
// - the run events (ct.onRunEvent, what `valence run` draws): the top-level run's node events are its
//   node updates, between a start and an end carrying the same error; each sublattice's run (a graph of
//   its own, run in process) starts only if the model starts it, and its tasks and final call end as
//   the model says;
// - the plan's log: every completed task ran exactly once, nothing started after a dependency failed.
import { appendFileSync } from "node:fs";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import * as ct from "valence-workflows";
import { effectProblems, readSideEffects, show, taskNodeIds, type RunReport } from "./check.ts";
import { latticeFor } from "./flow.ts";
import { expectedOf, type Expected, type ExpectedTask } from "./model.ts";
import type { Plan } from "./plan.ts";

const FINAL_STATUSES = new Set(["COMPLETED", "FAILED", "CANCELLED"]);

/** A built graph as run events carry it (RunGraph is its public face): parameter values readable. */
interface GraphNodes {
  readonly latticeName: string;
  readonly nodes: ReadonlyArray<{ readonly id: number; readonly kind: string; readonly value?: unknown }>;
}

/**
 * Run events of every runLocal run in this process, by graph. Sublattice runs have graphs of their
 * own: `planOf` tells which plan (by its log) and which call (by its task ids) a graph belongs to.
 */
const runs = new Map<ct.RunEvent["graph"], ct.RunEvent[]>();
let listening: (() => void) | undefined;

/** Starts recording run events (once per process); runs of plans recorded are dropped after their check. */
export function recordRunEvents(): void {
  listening ??= ct.onRunEvent((event) => {
    const list = runs.get(event.graph) ?? [];
    list.push(event);
    runs.set(event.graph, list);
  });
}

/** The log and the task id of the first electron call of a graph built by flow.ts, from its `How` parameters. */
function callOf(graph: ct.RunEvent["graph"]): { log: string; id: number } | undefined {
  for (const node of (graph as unknown as GraphNodes).nodes) {
    const value = node.kind === "parameter" ? node.value : undefined;
    if (value && typeof value === "object" && "log" in value && "id" in value) {
      const { log, id } = value as { log: unknown; id: unknown };
      if (typeof log === "string" && typeof id === "number") return { log, id };
    }
  }
  return undefined;
}

/** Runs `plan` with runLocal and returns every disagreement with the model (none: it agrees). */
export async function runLocalAndCompare(plan: Plan, dir: string): Promise<RunReport> {
  recordRunEvents();
  const log = join(dir, "log");
  appendFileSync(log, "");
  const nodes = taskNodeIds(plan, log, "inline");
  const expected = expectedOf(plan);
  const problems: string[] = [];
  const updates = new Map<number, ct.NodeUpdate[]>();
  /** Every update in the order it came. */
  const sequence: ct.NodeUpdate[] = [];
  let top: ct.RunEvent["graph"] | undefined;
  const onNodeUpdate = (update: ct.NodeUpdate, graph: ct.Graph): void => {
    if (top !== undefined && graph !== top) problems.push(`node ${update.node}: an update carries another graph`);
    top ??= graph;
    sequence.push(update);
    const list = updates.get(update.node) ?? [];
    list.push(update);
    updates.set(update.node, list);
  };
  let value: unknown;
  let error: unknown;
  try {
    value = await ct.runLocal(latticeFor("inline"), { onNodeUpdate })(plan, log, "inline");
  } catch (thrown) {
    error = thrown ?? new Error("runLocal rejected with nothing");
  }
  // An update after the run settled would be a node still running behind the caller's back.
  const seenAtEnd = sequence.length;
  await new Promise((resolve) => setTimeout(resolve, 5));
  if (sequence.length !== seenAtEnd)
    problems.push(`${sequence.length - seenAtEnd} node updates after runLocal settled`);

  const finals = new Map<number, Ended>();
  const graphSize = top ? (top as unknown as GraphNodes).nodes.length : 0;
  if (!top) problems.push("runLocal reported no node update");
  for (let id = 0; id < graphSize; id++) {
    const final = nodeProblems(id, updates.get(id) ?? [], problems);
    if (final) finals.set(id, final);
  }
  expected.tasks.forEach((task, i) =>
    taskProblems(task, `task ${i} (node ${nodes[i]})`, finals.get(nodes[i]!), problems),
  );
  problems.push(...outcomeProblems(expected, nodes, value, error, finals, sequence));
  problems.push(...runEventProblems(expected, log, top, sequence, error));
  problems.push(...effectProblems(plan, expected, readSideEffects(log), [], false));
  for (const graph of [...runs.keys()]) if (callOf(graph)?.log === log || graph === top) runs.delete(graph);
  return { dispatchId: "in process", status: error === undefined ? "COMPLETED" : "FAILED", problems };
}

/** How a node ended: its final update, and how many attempts it started (its RUNNING updates). */
interface Ended {
  readonly update: ct.NodeUpdate;
  readonly attempts: number;
}

/** One node's updates: RUNNING for attempts 1, 2, … (none for helpers), then one final status. */
function nodeProblems(id: number, list: readonly ct.NodeUpdate[], problems: string[]): Ended | undefined {
  const at = `node ${id}`;
  const last = list[list.length - 1];
  if (!last || !FINAL_STATUSES.has(last.status)) {
    problems.push(`${at}: ended ${last?.status ?? "without an update"} when runLocal settled`);
    return undefined;
  }
  const running = list.slice(0, -1);
  running.forEach((update, k) => {
    if (update.status !== "RUNNING") problems.push(`${at}: ${update.status} and then ${list[k + 1]!.status}`);
    else if (update.attempt !== k + 1)
      problems.push(`${at}: attempt ${update.attempt} reported as its attempt ${k + 1}`);
  });
  if (last.status === "CANCELLED" && running.length) problems.push(`${at}: cancelled after it started`);
  return { update: last, attempts: running.length };
}

/** How a task ended against the model: status, attempts started, a timeout's error. */
function taskProblems(task: ExpectedTask, at: string, ended: Ended | undefined, problems: string[]): void {
  if (!ended) return;
  const { update, attempts } = ended;
  if (update.status !== task.status) {
    problems.push(`${at}: ${update.status}, the model says ${task.status}`);
    return;
  }
  if (attempts !== task.attempts) problems.push(`${at}: ${attempts} attempts started, the model says ${task.attempts}`);
  if (update.status === "FAILED" && task.timedOut && !/timed out/.test(messageOf(update.error))) {
    problems.push(`${at}: failed with "${messageOf(update.error)}", the model says it timed out`);
  }
}

/** What runLocal returned or threw against the model's dispatch status, result and first failure. */
function outcomeProblems(
  expected: Expected,
  nodes: readonly number[],
  value: unknown,
  error: unknown,
  finals: ReadonlyMap<number, Ended>,
  sequence: readonly ct.NodeUpdate[],
): string[] {
  if (expected.status === "COMPLETED") {
    if (error !== undefined) return [`runLocal rejected with "${messageOf(error)}", the model says COMPLETED`];
    if (!isDeepStrictEqual(value, expected.result)) {
      return [`runLocal returned ${show(value)}, the model says ${show(expected.result)}`];
    }
    return [];
  }
  if (error === undefined) return [`runLocal returned ${show(value)}, the model says FAILED`];
  const problems: string[] = [];
  if (!(error instanceof ct.WorkflowError) || error.code !== "TASK_FAILED") {
    problems.push(`runLocal rejected with ${String(error)}, not a WorkflowError TASK_FAILED`);
  }
  const named = /\(node (\d+)\) failed/.exec(messageOf(error));
  const node = named ? Number(named[1]) : -1;
  const task = nodes.indexOf(node);
  if (task < 0 || expected.tasks[task]!.status !== "FAILED") {
    problems.push(`runLocal's error "${messageOf(error)}" names no task the model fails`);
    return problems;
  }
  // The first to fail: no other node's FAILED update came before it.
  const failedFirst = sequence.find((update) => update.status === "FAILED")?.node;
  if (failedFirst !== node) problems.push(`runLocal's error names node ${node}, but node ${failedFirst} failed first`);
  const cause = (error as { cause?: unknown }).cause;
  if (cause !== finals.get(node)?.update.error)
    problems.push(`runLocal's error has not node ${node}'s error as its cause`);
  return problems;
}

/**
 * The run events of the top-level run (start, its node updates, end with its error) and of each
 * sublattice's run, against the model's sublattice tasks and final calls.
 */
function runEventProblems(
  expected: Expected,
  log: string,
  top: ct.RunEvent["graph"] | undefined,
  sequence: readonly ct.NodeUpdate[],
  error: unknown,
): string[] {
  const problems: string[] = [];
  if (!top) return problems;
  const events = runs.get(top) ?? [];
  const [start, ...rest] = events;
  const end = rest.pop();
  if (start?.type !== "start") problems.push(`run events: begin with ${start?.type ?? "nothing"}, not start`);
  if (end?.type !== "end") problems.push(`run events: end with ${end?.type ?? "nothing"}, not end`);
  else if (end.error !== error) problems.push(`run events: the end's error is not the one runLocal threw`);
  const nodeEvents = rest.map((e) => (e.type === "node" ? e.update : undefined));
  if (!isDeepStrictEqual(nodeEvents, sequence)) problems.push("run events: the node events are not the node updates");

  // Sublattice runs: by their first call's id, (i + 1) * 1000 + k for top-level task i.
  const children = new Map<number, ct.RunEvent[]>();
  for (const [graph, list] of runs) {
    const call = callOf(graph);
    if (graph === top || call?.log !== log) continue;
    const task = Math.floor(call.id / 1000) - 1;
    if (children.has(task)) problems.push(`task ${task}: more than one sublattice run`);
    children.set(task, list);
  }
  expected.tasks.forEach((task, i) => {
    if (!task.child) return;
    const list = children.get(i);
    const at = `task ${i} (sublattice)`;
    if (task.status === "CANCELLED") {
      if (list) problems.push(`${at}: its run started, the model says it never starts`);
      return;
    }
    if (!list) {
      problems.push(`${at}: no run of it, the model says it ${task.status === "COMPLETED" ? "completes" : "fails"}`);
      return;
    }
    const graph = list[0]!.graph as unknown as GraphNodes;
    const calls = graph.nodes.filter((n) => n.kind === "electron").map((n) => n.id);
    const child = task.child;
    const byNode = new Map<number, ct.NodeUpdate[]>();
    for (const e of list)
      if (e.type === "node") byNode.set(e.update.node, [...(byNode.get(e.update.node) ?? []), e.update]);
    [...child.tasks, child.final!].forEach((t, k) => {
      const name = k < child.tasks.length ? `${at} › task ${k}` : `${at} › its final call`;
      taskProblems(t, name, nodeProblems(calls[k]!, byNode.get(calls[k]!) ?? [], problems), problems);
    });
    const childEnd = list[list.length - 1];
    if (childEnd?.type !== "end") problems.push(`${at}: its run did not end`);
    else if ((childEnd.error !== undefined) !== (child.status === "FAILED")) {
      problems.push(
        `${at}: its run ended ${childEnd.error ? "with an error" : "well"}, the model says ${child.status}`,
      );
    }
  });
  return problems;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
