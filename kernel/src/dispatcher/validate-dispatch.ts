// Whether a dispatch's graph can run, decided before anything is stored (a new dispatch) or resumed
// (a stored one): its schema, then the graph's own rules (graph-rules.ts), then whether an executor
// can take each task. A graph that fails is refused with the problem named, never run.
import type { TransportGraph } from "../workflow/transport";
import { taskNeeds, type ExecutorPool } from "./executor-pool";
import { GraphIndex } from "./graph-index";
import { graphProblem } from "./graph-rules";
import { protocolErrors } from "./protocol";
import { asColumns, type TransportGraphV1 } from "./transport-v1";

/** A request the dispatcher refuses as a whole; servers answer it with 400 and the message. */
export class DispatchRejected extends Error {
  override readonly name = "DispatchRejected";
}

/**
 * The graph indexed for running, or DispatchRejected naming what is wrong. `schema`: check the graph
 * against the protocol schema too (an HTTP request has been already; a stored graph may predate it).
 */
export function validateGraph(
  graph: TransportGraph | TransportGraphV1,
  pool: ExecutorPool,
  options: { schema?: boolean } = {},
): GraphIndex {
  const version = (graph as { version?: unknown } | undefined)?.version;
  if ((version !== 1 && version !== 2) || typeof graph.nodes !== "object" || typeof graph.edges !== "object") {
    throw new DispatchRejected("the graph is not a Valence transport graph (version 2, or 1 from older clients)");
  }
  if (options.schema) {
    const errors = protocolErrors(version === 1 ? "transportGraphV1" : "transportGraph", graph);
    if (errors.length) throw new DispatchRejected(`the graph is malformed: ${errors.join("; ")}`);
  }
  let index: GraphIndex;
  let columns: TransportGraph;
  try {
    columns = asColumns(graph);
    index = new GraphIndex(columns);
  } catch (error) {
    throw new DispatchRejected(`the graph is malformed: ${(error as Error).message}`);
  }
  // Checked once per distinct options document, not once per node.
  const checked = new Set<number>();
  for (let i = 0; i < index.size; i++) {
    if (!index.isTask(i)) continue;
    if (graph.electrons[index.electronIndex(i) ?? -1] === undefined) {
      throw new DispatchRejected(`node ${i} ("${index.name(i)}") has no electron spec`);
    }
    if (checked.has(index.optionsIndex(i))) continue;
    checked.add(index.optionsIndex(i));
    const options = index.optionsOfNode(i);
    const why = pool.impossible(options?.executor ?? pool.defaultName, taskNeeds(options));
    if (why) throw new DispatchRejected(`electron "${index.name(i)}" (node ${i}) ${why}`);
  }
  const problem = graphProblem(columns, index);
  if (problem) throw new DispatchRejected(`the graph is malformed: ${problem}`);
  return index;
}
