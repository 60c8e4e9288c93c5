// The geometry the DAG layout engines share (dag-layout.ts, dag-layered.ts, dag-fold.ts): points and
// boxes, the indexed graph they place, where edges meet their nodes, and the box around a placement.

export type Direction = "LR" | "TB";

export type Point = { x: number; y: number };

/** What the layout needs to know about a node: its id and its box in px. */
export type LayoutNodeInput = { id: number; width: number; height: number };
export type LayoutEdgeInput = { source: number; target: number };
/** A node's box; `x`, `y` are its centre, in px from the layout's top-left corner. */
export interface PositionedNode extends LayoutNodeInput, Point {}
/** An edge as a polyline from the source's outgoing side to the target's incoming side. */
export type PositionedEdge = LayoutEdgeInput & { points: Point[] };

/** Nodes by dense index, with deduplicated adjacency: the shape both engines work on. */
export interface IndexedGraph {
  nodes: readonly LayoutNodeInput[];
  edges: { source: number; target: number }[]; // node indices, not ids
  succ: number[][];
  pred: number[][];
}

export type Placement = { nodes: PositionedNode[]; edges: PositionedEdge[] };

/** Where an edge leaves its source and enters its target: the middle of the facing sides. */
export function ports(from: PositionedNode, to: PositionedNode, direction: Direction): [Point, Point] {
  const [dx, dy] = direction === "LR" ? [0.5, 0] : [0, 0.5];
  const start = { x: from.x + dx * from.width, y: from.y + dy * from.height };
  return [start, { x: to.x - dx * to.width, y: to.y - dy * to.height }];
}

export type Axis = "x" | "y";
export const AXES = ["x", "y"] as const;
export const size = (n: PositionedNode, axis: Axis): number => (axis === "x" ? n.width : n.height);

/** The box around all nodes and, when given, edge points. */
export function bounds(placed: { nodes: PositionedNode[]; edges?: PositionedEdge[] }): Record<"min" | "max", Point> {
  const [min, max] = [
    { x: Infinity, y: Infinity },
    { x: -Infinity, y: -Infinity },
  ];
  const grow = (axis: Axis, low: number, high: number): void => {
    [min[axis], max[axis]] = [Math.min(min[axis], low), Math.max(max[axis], high)];
  };
  for (const node of placed.nodes) {
    for (const axis of AXES) grow(axis, node[axis] - size(node, axis) / 2, node[axis] + size(node, axis) / 2);
  }
  for (const edge of placed.edges ?? [])
    for (const p of edge.points) for (const axis of AXES) grow(axis, p[axis], p[axis]);
  return { min, max };
}
