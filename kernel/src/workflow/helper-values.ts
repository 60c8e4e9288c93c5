// What the helper nodes compute, the same wherever a graph runs (in process or in the dispatcher):
// call arguments by position, and the value of a list, dict, getitem or getattr node from its inputs.
import type { GraphEdge, GraphNode } from "./graph";

/** Arguments in call order, from the data edges' positions. */
export function callArguments(edges: readonly GraphEdge[], valueOf: (node: number) => unknown): unknown[] {
  const args: unknown[] = [];
  for (const edge of edges) args[edge.position ?? args.length] = valueOf(edge.source);
  return args;
}

/** The value of a list, dict, getitem or getattr node; `edges` are its data inputs. */
export function helperValue(
  node: Pick<GraphNode, "id" | "kind" | "key">,
  edges: readonly GraphEdge[],
  valueOf: (node: number) => unknown,
): unknown {
  switch (node.kind) {
    case "list":
      return callArguments(edges, valueOf);
    case "dict": {
      const value: Record<string, unknown> = {};
      for (const edge of edges) value[edge.key!] = valueOf(edge.source);
      return value;
    }
    case "getitem":
    case "getattr": {
      const parent = valueOf(edges[0]!.source);
      if (parent === null || parent === undefined) {
        throw new TypeError(
          `cannot read ${node.kind === "getitem" ? "index" : "property"} ${String(node.key)} of ${String(parent)}`,
        );
      }
      return (parent as Record<string | number, unknown>)[node.key!];
    }
    default:
      throw new Error(`node ${node.id} (${node.kind}) is not a list, dict, getitem or getattr node`);
  }
}
