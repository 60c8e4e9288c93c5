// Places the nodes of a DAG document in layers with dagre (longest-path ranker: linear time, so
// large fan-outs stay fast) and returns plain coordinates for drawing.
import dagre from "@dagrejs/dagre";

import { nodeLabel } from "./labels";
import type { DagDocument, DagEdge, DagNode } from "./schema/dag.generated";

/** Approximate width of one label character in px (the UI font at 12px); no DOM measuring. */
const CHAR_WIDTH = 7;
/** Heights in px: tasks are taller than the helper nodes (parameters, collections, accessors). */
const TASK_HEIGHT = 30;
const HELPER_HEIGHT = 22;

export interface PlacedNode {
  node: DagNode;
  label: string;
  /** Top-left corner and size, in px. */
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface PlacedEdge {
  edge: DagEdge;
  points: { x: number; y: number }[];
}

export interface DagLayout {
  width: number;
  height: number;
  nodes: PlacedNode[];
  edges: PlacedEdge[];
}

export const isTask = (node: DagNode): boolean => node.kind === "electron" || node.kind === "sublattice";

export function layoutDag(document: DagDocument): DagLayout {
  const graph = new dagre.graphlib.Graph({ multigraph: true });
  graph.setGraph({ rankdir: "TB", ranker: "longest-path", nodesep: 18, ranksep: 36, marginx: 8, marginy: 8 });
  const labels = new Map<number, string>();
  for (const node of document.nodes) {
    const label = nodeLabel(node);
    labels.set(node.id, label);
    const height = isTask(node) ? TASK_HEIGHT : HELPER_HEIGHT;
    graph.setNode(String(node.id), { width: Math.max(height, label.length * CHAR_WIDTH + 20), height });
  }
  document.edges.forEach((edge, index) => {
    graph.setEdge(String(edge.source), String(edge.target), {}, String(index));
  });
  dagre.layout(graph);

  const nodes = document.nodes.map((node): PlacedNode => {
    const { x, y, width, height } = graph.node(String(node.id));
    return { node, label: labels.get(node.id) ?? node.name, x: x - width / 2, y: y - height / 2, width, height };
  });
  const edges = document.edges.map((edge, index): PlacedEdge => ({
    edge,
    points: graph.edge(String(edge.source), String(edge.target), String(index))?.points ?? [],
  }));
  const { width = 0, height = 0 } = graph.graph();
  return { width, height, nodes, edges };
}
