// runLocal: runs a lattice in this process, every ready node at once, and returns its result. For
// tests, scripts and quick checks; the dispatcher adds persistence, workers and live status.
import { randomUUID } from "node:crypto";
import { buildGraph } from "../workflow/lattice";
import type { Lattice } from "../workflow/lattice";
import type { Graph } from "../workflow/graph";
import { WorkflowError } from "../workflow/errors";
import { resolveOutput } from "../workflow/output";
import { runInTaskContext } from "../workflow/task-context";
import type { Status } from "@valence/schema";
import { Scheduler } from "../shared/scheduler";
import { attemptElectron, callArguments, resolveHelperNode } from "./node-runner";
import { emitRunEvent, type NodeUpdate } from "./run-events";

export type { NodeUpdate };

export interface RunLocalOptions {
  /** Called as each node starts, retries, completes, fails or is cancelled. */
  onNodeUpdate?: (update: NodeUpdate, graph: Graph) => void;
}

interface NodeState {
  status: Status;
  output?: unknown;
  error?: unknown;
  attempts: number;
}

/**
 * `runLocal(lattice)(...args)` builds the graph and runs it here. Resolves to the lattice's result;
 * rejects with a WorkflowError naming the first failed electron (its error is the `cause`), after
 * independent branches have finished.
 */
export function runLocal<A extends unknown[], R>(
  lattice: Lattice<A, R>,
  options: RunLocalOptions = {},
): (...args: A) => Promise<R> {
  return async (...args: A) => (await runGraph(lattice.build(...args), options)) as R;
}

/**
 * Runs an already built graph; resolves to its result. Its electrons see `taskContext()` as under a
 * dispatcher: a run id of their own (`local-…`; a sublattice's run has another), their node and attempt.
 */
export async function runGraph(graph: Graph, options: RunLocalOptions = {}): Promise<unknown> {
  const runId = `local-${randomUUID()}`;
  const states: NodeState[] = graph.nodes.map(() => ({ status: "PENDING", attempts: 0 }));
  const scheduler = new Scheduler(graph);
  const outputOf = (id: number): unknown => states[id]!.output;
  const report = (node: number, status: Status, extra: Partial<NodeUpdate> = {}): void => {
    states[node]!.status = status;
    const update: NodeUpdate = { node, name: graph.node(node).name, status, ...extra };
    options.onNodeUpdate?.(update, graph);
    emitRunEvent({ type: "node", graph, update });
  };
  let firstFailure: number | undefined;
  emitRunEvent({ type: "start", graph });

  await new Promise<void>((done) => {
    if (scheduler.finished) return done();
    const start = (id: number): void => {
      runNode(graph, runId, id, states[id]!, outputOf, report).then(
        () => {
          report(id, "COMPLETED");
          scheduler.complete(id).forEach(start);
          if (scheduler.finished) done();
        },
        (error: unknown) => {
          states[id]!.error = error;
          firstFailure ??= id;
          report(id, "FAILED", { error });
          for (const blocked of scheduler.fail(id)) report(blocked, "CANCELLED");
          if (scheduler.finished) done();
        },
      );
    };
    scheduler.initial().forEach(start);
  });

  if (firstFailure !== undefined) {
    const node = graph.node(firstFailure);
    const state = states[firstFailure]!;
    const cause = state.error;
    const reason = cause instanceof Error ? cause.message : String(cause);
    const tries = state.attempts > 1 ? ` after ${state.attempts} attempts` : "";
    const error = new WorkflowError(
      "TASK_FAILED",
      `lattice "${graph.latticeName}" failed: ${node.kind} "${node.name}" (node ${node.id}) failed${tries}: ${reason}`,
      { cause },
    );
    emitRunEvent({ type: "end", graph, error });
    throw error;
  }
  emitRunEvent({ type: "end", graph });
  return resolveOutput(graph.returnValue, outputOf);
}

async function runNode(
  graph: Graph,
  runId: string,
  id: number,
  state: NodeState,
  outputOf: (node: number) => unknown,
  report: (node: number, status: Status, extra?: Partial<NodeUpdate>) => void,
): Promise<void> {
  const node = graph.node(id);
  const inputs = graph.inputsOf(id);
  const helper = resolveHelperNode(node, inputs, outputOf);
  if (helper) {
    state.output = helper.output;
    return;
  }
  const args = callArguments(inputs, outputOf);
  if (node.kind === "sublattice") {
    report(id, "RUNNING", { attempt: 1 });
    state.attempts = 1;
    state.output = await runGraph(buildGraph(node.electron!.sublattice!, args));
    return;
  }
  const retries = node.options?.retries ?? 0;
  for (let attempt = 1; ; attempt++) {
    state.attempts = attempt;
    report(id, "RUNNING", { attempt });
    try {
      const context = { dispatchId: runId, nodeId: id, attempt };
      state.output = await runInTaskContext(context, () => attemptElectron(node, args));
      return;
    } catch (error) {
      if (attempt > retries) throw error;
    }
  }
}
