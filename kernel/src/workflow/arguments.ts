// Turns the arguments of an electron call into graph inputs, as Covalent does: a future is its own
// node, a literal becomes a parameter node, and arrays / plain objects holding futures become list /
// dict collection nodes (recursively), with edges carrying the element index or property key.
import type { BuildContext } from "./build-context";
import { WorkflowError } from "./errors";
import { futureOf } from "./future";
import { previewValue } from "./preview";
import { containsFuture, isPlainObject } from "./structure";

/** Returns the id of the node whose output is `value` at run time, adding nodes as needed. */
export function argumentNode(context: BuildContext, value: unknown, electronName: string): number {
  const future = futureOf(value);
  if (future) {
    if (future.context !== context) {
      throw new WorkflowError(
        "FUTURE_OUTSIDE_BUILD",
        `electron "${electronName}" was given a future from another lattice's dry run ` +
          `("${future.context.graph.latticeName}"). Pass values between lattices by dispatching them, ` +
          `or call the other lattice as a sublattice.`,
      );
    }
    return future.node;
  }
  const graph = context.graph;
  if (Array.isArray(value) && containsFuture(value)) {
    const sources = value.map((item: unknown) => argumentNode(context, item, electronName));
    const id = graph.addNode({ kind: "list", name: "list" });
    sources.forEach((source, position) => graph.addEdge({ source, target: id, kind: "data", position }));
    return id;
  }
  if (isPlainObject(value) && containsFuture(value)) {
    const sources = Object.entries(value).map(
      ([key, item]) => [key, argumentNode(context, item, electronName)] as const,
    );
    const id = graph.addNode({ kind: "dict", name: "dict" });
    for (const [key, source] of sources) graph.addEdge({ source, target: id, kind: "data", key });
    return id;
  }
  return graph.addNode({ kind: "parameter", name: parameterName(value), value });
}

function parameterName(value: unknown): string {
  const { preview } = previewValue(value);
  return preview.length > 40 ? `${preview.slice(0, 39)}…` : preview || '""';
}
