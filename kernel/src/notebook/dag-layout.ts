// Layered layout of a DAG for the kernel's static drawing: where each node sits and which polyline
// each edge follows. Pure, no I/O. Small and medium graphs go through @dagrejs/dagre (longest-path
// ranker); graphs whose dagre run would cost seconds (thousands of nodes, or long edges that become
// thousands of dummy nodes) go through a linear-time layered layout of our own with the same ranks
// (dag-layered.ts), and may be folded into bands (dag-fold.ts).
import {
  bounds,
  ports,
  type Direction,
  type IndexedGraph,
  type LayoutEdgeInput,
  type LayoutNodeInput,
  type Placement,
  type Point,
  type PositionedEdge,
  type PositionedNode,
} from "./dag-geometry";
import { fold } from "./dag-fold";
import { layeredLayout } from "./dag-layered";

export type {
  Direction,
  LayoutEdgeInput,
  LayoutNodeInput,
  Point,
  PositionedEdge,
  PositionedNode,
} from "./dag-geometry";

export interface DagLayout {
  /** Size of the bounding box of all nodes and edges, in px; everything lies in [0, width] × [0, height]. */
  width: number;
  height: number;
  nodes: PositionedNode[];
  /** One per distinct (source, target) pair, in input order; self-loops and unknown ids are dropped. */
  edges: PositionedEdge[];
  /** Which algorithm placed the nodes. */
  engine: "dagre" | "layered";
}

export interface LayoutOptions {
  /** Rank direction: "LR" (default) puts dependants to the right, "TB" below. */
  direction?: Direction;
  /** Gap between neighbouring nodes of one rank, in px. Default 16. */
  nodeSep?: number;
  /** Gap between ranks, in px. Default 48. */
  rankSep?: number;
  /** "auto" (default) uses dagre while its estimated cost is under DAGRE_BUDGET. */
  engine?: "auto" | "dagre" | "layered";
  /**
   * Fold a layout with an extreme aspect ratio (a wide fan-out, a long chain) into side-by-side
   * bands, aiming at a 16:10 picture; only when almost no edge would cross between bands. Default false.
   */
  fold?: boolean;
}

/**
 * Estimated dagre cost (nodes + edges + 2 × dummy nodes for edges spanning several ranks) above which
 * "auto" switches to the layered layout: dagre's time grows with it, well past what a cell should wait
 * for at a 1,000-step chain (cost 2,000), while the layered layout stays near-linear (`npm run bench`
 * times dagre on the extension's graphs: "shape+dagre").
 */
export const DAGRE_BUDGET = 1500;

/**
 * Approximate advance width of `text` in px. The kernel has no font metrics, so per-class averages,
 * taken on the wide side (DejaVu Sans, the usual Linux fallback): text fits in every common font.
 */
export function estimateTextWidth(text: string, fontSizePx: number, monospace = false): number {
  if (monospace) return Array.from(text).length * fontSizePx * 0.61;
  let em = 0;
  for (const ch of text) {
    if ("iljtf.,:;'!|()[] ".includes(ch)) em += 0.34;
    else if ("mwMW@%".includes(ch)) em += 0.92;
    else if (ch >= "A" && ch <= "Z") em += 0.7;
    // CJK and emoji are full-width.
    else if (ch.codePointAt(0)! > 0x2e80) em += 1;
    else em += 0.62;
  }
  return em * fontSizePx;
}

export function layoutDag(
  nodes: readonly LayoutNodeInput[],
  edges: readonly LayoutEdgeInput[],
  options: LayoutOptions = {},
): DagLayout {
  const direction = options.direction ?? "LR";
  const nodeSep = options.nodeSep ?? 16;
  const rankSep = options.rankSep ?? 48;
  const graph = indexGraph(nodes, edges);
  const order = postOrder(graph);
  const ranks = longestPathRanks(graph, order);
  const engine = options.engine === "auto" || !options.engine ? chooseEngine(graph, ranks) : options.engine;
  const placed =
    engine === "dagre"
      ? dagreLayout(graph, direction, nodeSep, rankSep)
      : layeredLayout(graph, ranks, order, direction, nodeSep, rankSep);
  const folded = options.fold ? fold(placed, direction, rankSep) : placed;
  return { ...normalize(folded.nodes, folded.edges), engine };
}

function indexGraph(nodes: readonly LayoutNodeInput[], edges: readonly LayoutEdgeInput[]): IndexedGraph {
  const index = new Map<number, number>();
  nodes.forEach((node, i) => index.set(node.id, i));
  const succ: number[][] = nodes.map(() => []);
  const pred: number[][] = nodes.map(() => []);
  const seen = new Set<number>();
  const kept: { source: number; target: number }[] = [];
  for (const edge of edges) {
    const s = index.get(edge.source);
    const t = index.get(edge.target);
    if (s === undefined || t === undefined || s === t || seen.has(s * nodes.length + t)) continue;
    seen.add(s * nodes.length + t);
    kept.push({ source: s, target: t });
    succ[s]!.push(t);
    pred[t]!.push(s);
  }
  return { nodes, edges: kept, succ, pred };
}

/**
 * Depth-first from the sources (in id order, which is creation order): the finishing order. Its
 * reverse is a topological order that keeps chains together. Edges back into the open path (a cycle:
 * never from the SDK, but documents come from outside) are ignored.
 */
function postOrder(graph: IndexedGraph): number[] {
  const n = graph.nodes.length;
  const seen = new Uint8Array(n);
  const out: number[] = [];
  const stack: [node: number, next: number][] = [];
  const roots = [...graph.nodes.keys()].filter((v) => graph.pred[v]!.length === 0);
  for (const root of [...roots, ...graph.nodes.keys()]) {
    if (seen[root]) continue;
    seen[root] = 1;
    stack.push([root, 0]);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const w = graph.succ[top[0]]![top[1]++];
      if (w === undefined) out.push(stack.pop()![0]);
      else if (!seen[w]) {
        seen[w] = 1;
        stack.push([w, 0]);
      }
    }
  }
  return out;
}

/**
 * dagre's longest-path ranking: sinks share the last rank and every other node sits one rank before
 * its earliest dependant, so parameters and helpers stay next to their consumer.
 */
function longestPathRanks(graph: IndexedGraph, order: readonly number[]): number[] {
  const rank = new Array<number>(graph.nodes.length).fill(0);
  const ranked = new Uint8Array(graph.nodes.length);
  let min = 0;
  for (const v of order) {
    let r = Infinity;
    for (const w of graph.succ[v]!) if (ranked[w]) r = Math.min(r, rank[w]! - 1);
    rank[v] = r === Infinity ? 0 : r;
    ranked[v] = 1;
    min = Math.min(min, rank[v]!);
  }
  return rank.map((r) => r - min);
}

function chooseEngine(graph: IndexedGraph, ranks: readonly number[]): "dagre" | "layered" {
  let dummies = 0;
  for (const e of graph.edges) dummies += Math.max(0, Math.abs(ranks[e.target]! - ranks[e.source]!) - 1);
  return graph.nodes.length + graph.edges.length + 2 * dummies <= DAGRE_BUDGET ? "dagre" : "layered";
}

// dagre's published declarations are ESM-only, which a CommonJS module cannot import on every
// TypeScript version we build with; this is the slice of its API we use. The runtime is its CJS build.
interface DagreGraph {
  setGraph(label: Record<string, unknown>): void;
  setDefaultEdgeLabel(label: () => Record<string, unknown>): void;
  setNode(v: string, label: { width: number; height: number }): void;
  setEdge(v: string, w: string): void;
  node(v: string): { x: number; y: number };
  edge(v: string, w: string): { points?: Point[] } | undefined;
}
interface DagreModule {
  graphlib: { Graph: new () => DagreGraph };
  layout(graph: DagreGraph): void;
}
let dagreModule: DagreModule | undefined;

function dagreLayout(graph: IndexedGraph, direction: Direction, nodeSep: number, rankSep: number): Placement {
  // Loaded on first use: most kernels never draw a graph.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  dagreModule ??= require("@dagrejs/dagre") as DagreModule;
  const g = new dagreModule.graphlib.Graph();
  g.setGraph({ rankdir: direction, ranker: "longest-path", nodesep: nodeSep, ranksep: rankSep, edgesep: 8 });
  g.setDefaultEdgeLabel(() => ({}));
  graph.nodes.forEach((node, i) => g.setNode(String(i), { width: node.width, height: node.height }));
  for (const e of graph.edges) g.setEdge(String(e.source), String(e.target));
  dagreModule.layout(g);
  const nodes = graph.nodes.map((node, i): PositionedNode => {
    const { x, y } = g.node(String(i));
    return { id: node.id, width: node.width, height: node.height, x, y };
  });
  const edges = graph.edges.map((e): PositionedEdge => {
    const from = nodes[e.source]!;
    const to = nodes[e.target]!;
    // Three points means one rank apart (start, label slot, end): the ports alone draw it better. Longer
    // edges keep dagre's bends, which route around the ranks in between.
    const points = g.edge(String(e.source), String(e.target))?.points ?? [];
    const bends = points.length > 3 ? points.slice(1, -1) : [];
    const [start, end] = ports(from, to, direction);
    return { source: from.id, target: to.id, points: [start, ...bends, end] };
  });
  return { nodes, edges };
}

/** Translates everything so the bounding box of nodes and edge points starts at (0, 0). */
function normalize(nodes: PositionedNode[], edges: PositionedEdge[]): Omit<DagLayout, "engine"> {
  if (nodes.length === 0) return { width: 0, height: 0, nodes, edges };
  const { min, max } = bounds({ nodes, edges });
  for (const node of nodes) [node.x, node.y] = [node.x - min.x, node.y - min.y];
  for (const edge of edges) for (const p of edge.points) [p.x, p.y] = [p.x - min.x, p.y - min.y];
  return { width: max.x - min.x, height: max.y - min.y, nodes, edges };
}
