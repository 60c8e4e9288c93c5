// Places the drawn nodes in layers with dagre (longest-path ranker: linear time, so large fan-outs
// stay fast), left→right or top→down, and returns plain coordinates for drawing.
import dagre from "@dagrejs/dagre";

import { nodeLabel } from "./labels";
import { isTaskNode } from "./schema/display";
import type { DagNode } from "./schema/dag.generated";
import type { ShapedEdge, ShapedGraph, ShapedNode } from "./shape";

/** Approximate width of one label character in px (the UI font at 12px); no DOM measuring. */
const CHAR_WIDTH = 7;
/** Heights in px: tasks are taller than the helper nodes (parameters, collections, accessors). */
const TASK_HEIGHT = 30;
const HELPER_HEIGHT = 22;
/** Room for the status glyph at a task's left, and for a folded group's progress bar. */
export const GLYPH_SPACE = 18;

export type Direction = "LR" | "TB";

export interface PlacedNode {
  shaped: ShapedNode;
  node: DagNode;
  label: string;
  /** Top-left corner and size, in px. */
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface PlacedEdge {
  edge: ShapedEdge;
  points: { x: number; y: number }[];
}

export interface DagLayout {
  width: number;
  height: number;
  nodes: PlacedNode[];
  edges: PlacedEdge[];
}

export function layoutDag(shaped: ShapedGraph, direction: Direction = "LR"): DagLayout {
  const graph = new dagre.graphlib.Graph({ multigraph: true });
  graph.setGraph({ rankdir: direction, ranker: "longest-path", nodesep: 14, ranksep: 36, marginx: 8, marginy: 8 });
  const labels = new Map<number, string>();
  for (const { id, node } of shaped.nodes) {
    const label = nodeLabel(node);
    labels.set(id, label);
    const task = isTaskNode(node);
    const height = task ? TASK_HEIGHT : HELPER_HEIGHT;
    const width = label.length * CHAR_WIDTH + 20 + (task ? GLYPH_SPACE : 0);
    graph.setNode(String(id), { width: Math.max(height, width), height });
  }
  shaped.edges.forEach((edge, index) => {
    graph.setEdge(String(edge.source), String(edge.target), {}, String(index));
  });
  dagre.layout(graph);

  const nodes = shaped.nodes.map((placed): PlacedNode => {
    const { x, y, width, height } = graph.node(String(placed.id));
    const label = labels.get(placed.id) ?? placed.node.name;
    return { shaped: placed, node: placed.node, label, x: x - width / 2, y: y - height / 2, width, height };
  });
  const edges = shaped.edges.map((edge, index): PlacedEdge => ({
    edge,
    points: graph.edge(String(edge.source), String(edge.target), String(index))?.points ?? [],
  }));
  const { width = 0, height = 0 } = graph.graph();
  return { width, height, nodes, edges };
}
