// The text/plain face of a graph: one readable paragraph, for terminals, logs and plain notebooks.
import { isTaskNode } from "@valence/schema";
import type { GraphFacts } from "./graph-parts";

export function describeGraph(graph: GraphFacts): string {
  const electrons = new Map<string, number>();
  let helpers = 0;
  for (const node of graph.nodes) {
    if (isTaskNode(node)) {
      electrons.set(node.name, (electrons.get(node.name) ?? 0) + 1);
    } else helpers++;
  }
  const tasks = [...electrons].map(([name, count]) => (count > 1 ? `${name} ×${count}` : name)).join(", ");
  const taskCount = graph.nodes.length - helpers;
  return (
    `Lattice "${graph.latticeName}": ${taskCount} task${taskCount === 1 ? "" : "s"}` +
    (tasks ? ` (${tasks})` : "") +
    `, ${helpers} parameter/helper node${helpers === 1 ? "" : "s"}, ${graph.edges.length} edge${graph.edges.length === 1 ? "" : "s"}`
  );
}
