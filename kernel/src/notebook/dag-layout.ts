// Layered layout of a DAG for the kernel's static drawing: where each node sits and which polyline
// each edge follows. Pure, no I/O. Small and medium graphs go through @dagrejs/dagre (longest-path
// ranker); graphs whose dagre run would cost seconds (thousands of nodes, or long edges that become
// thousands of dummy nodes) go through a linear-time layered layout of our own with the same ranks.

export type Direction = "LR" | "TB";

export type Point = { x: number; y: number };

/** What the layout needs to know about a node: its id and its box in px. */
export type LayoutNodeInput = { id: number; width: number; height: number };
export type LayoutEdgeInput = { source: number; target: number };
/** A node's box; `x`, `y` are its centre, in px from the layout's top-left corner. */
export interface PositionedNode extends LayoutNodeInput, Point {}
/** An edge as a polyline from the source's outgoing side to the target's incoming side. */
export type PositionedEdge = LayoutEdgeInput & { points: Point[] };

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
 * "auto" switches to the layered layout. Measured: dagre needs ~0.1–0.3 ms per unit (a 1,000-step
 * chain, cost 2,000: 0.6 s), the layered layout a few ms for thousands of nodes.
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

/** Nodes by dense index, with deduplicated adjacency: the shape both engines work on. */
interface IndexedGraph {
  nodes: readonly LayoutNodeInput[];
  edges: { source: number; target: number }[]; // node indices, not ids
  succ: number[][];
  pred: number[][];
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

type Placement = { nodes: PositionedNode[]; edges: PositionedEdge[] };

/** Where an edge leaves its source and enters its target: the middle of the facing sides. */
function ports(from: PositionedNode, to: PositionedNode, direction: Direction): [Point, Point] {
  const [dx, dy] = direction === "LR" ? [0.5, 0] : [0, 0.5];
  const start = { x: from.x + dx * from.width, y: from.y + dy * from.height };
  return [start, { x: to.x - dx * to.width, y: to.y - dy * to.height }];
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

/**
 * Linear-time layered layout for big graphs: the ranks above, initial order from the depth-first
 * walk (like dagre's), a few barycenter sweeps to cut crossings, then each rank's nodes pulled towards
 * their neighbours under the minimum-gap constraint (solved exactly by pool-adjacent-violators).
 * Long edges are drawn straight across intermediate ranks instead of being routed.
 */
function layeredLayout(
  graph: IndexedGraph,
  ranks: readonly number[],
  finished: readonly number[],
  direction: Direction,
  nodeSep: number,
  rankSep: number,
): Placement {
  const n = graph.nodes.length;
  const layers: number[][] = [];
  for (let i = finished.length - 1; i >= 0; i--) (layers[ranks[finished[i]!]!] ??= []).push(finished[i]!);
  const rankLayers = Array.from(layers, (layer) => layer ?? []);

  const order = new Float64Array(n); // normalized position within the rank, in [0, 1)
  const renumber = (layer: number[]): void => layer.forEach((v, i) => (order[v] = (i + 0.5) / layer.length));
  rankLayers.forEach(renumber);
  for (let sweep = 0; sweep < 4; sweep++) {
    const down = sweep % 2 === 0;
    const neighbours = down ? graph.pred : graph.succ;
    for (let k = 0; k < rankLayers.length; k++) {
      const layer = rankLayers[down ? k : rankLayers.length - 1 - k]!;
      const key = new Map<number, number>();
      for (const v of layer) key.set(v, mean(neighbours[v]!, order) ?? order[v]!);
      layer.sort((a, b) => key.get(a)! - key.get(b)!);
      renumber(layer);
    }
  }

  const across = (i: number): number => (direction === "LR" ? graph.nodes[i]!.height : graph.nodes[i]!.width);
  const along = (i: number): number => (direction === "LR" ? graph.nodes[i]!.width : graph.nodes[i]!.height);
  const cross = new Float64Array(n);
  for (const layer of rankLayers) {
    const stacked = pack(new Array<number>(layer.length).fill(0), layer.map(across), nodeSep);
    const middle = stacked.length > 0 ? (stacked[stacked.length - 1]! + stacked[0]!) / 2 : 0;
    layer.forEach((v, i) => (cross[v] = stacked[i]! - middle));
  }
  for (let sweep = 0; sweep < 4; sweep++) {
    const neighbours = sweep % 2 === 0 ? graph.pred : graph.succ;
    for (const layer of rankLayers) {
      const wanted = layer.map((v) => mean(neighbours[v]!, cross) ?? cross[v]!);
      pack(wanted, layer.map(across), nodeSep).forEach((c, i) => (cross[layer[i]!] = c));
    }
  }

  let offset = 0;
  const main = rankLayers.map((layer) => {
    const thick = layer.reduce((m, v) => Math.max(m, along(v)), 0);
    const centre = offset + thick / 2;
    offset += thick + rankSep;
    return centre;
  });
  const nodes = graph.nodes.map((node, i): PositionedNode => {
    const [x, y] = direction === "LR" ? [main[ranks[i]!]!, cross[i]!] : [cross[i]!, main[ranks[i]!]!];
    return { id: node.id, width: node.width, height: node.height, x, y };
  });
  const edges = graph.edges.map((e): PositionedEdge => {
    const from = nodes[e.source]!;
    const to = nodes[e.target]!;
    return { source: from.id, target: to.id, points: ports(from, to, direction) };
  });
  return { nodes, edges };
}

type Axis = "x" | "y";
const AXES = ["x", "y"] as const;
const size = (n: PositionedNode, axis: Axis): number => (axis === "x" ? n.width : n.height);

/**
 * See LayoutOptions.fold. Tries cutting across the ranks (a wide fan-out becomes side-by-side
 * columns) and along them (a long chain becomes rows), the one that needs more bands first.
 */
function fold(placed: Placement, direction: Direction, rankSep: number): Placement {
  const main: Axis = direction === "LR" ? "x" : "y";
  const gap = main === "x" ? { x: 2 * rankSep, y: rankSep } : { x: rankSep, y: 2 * rankSep };
  const { min, max } = bounds(placed);
  const plans = AXES.map((cut) => {
    const stack: Axis = cut === "x" ? "y" : "x";
    const span = max[cut] - min[cut];
    const length = max[stack] - min[stack] + gap[stack];
    // k bands of `span / k` laid side by side along `stack`: k that gives a 16:10 picture.
    const k = Math.floor(Math.sqrt(cut === "y" ? (1.6 * span) / length : span / (1.6 * length)));
    return { cut, stack, span, length, k };
  });
  for (const { cut, stack, span, length, k } of plans.filter((p) => p.k >= 2).sort((a, b) => b.k - a.k)) {
    const band = new Map<number, number>();
    for (const node of placed.nodes) {
      band.set(node.id, Math.min(k - 1, Math.floor(((node[cut] - min[cut]) * k) / span)));
    }
    let crossing = 0;
    for (const e of placed.edges) if (band.get(e.source) !== band.get(e.target)) crossing++;
    if (crossing > Math.max(k, placed.edges.length * 0.02)) continue;
    // Each band starts where its own first box starts, so no band begins with a gap.
    const start = new Array<number>(k).fill(Infinity);
    for (const node of placed.nodes) {
      const b = band.get(node.id)!;
      start[b] = Math.min(start[b]!, node[cut] - size(node, cut) / 2);
    }
    const shift = (p: Point, b: number): void => {
      p[cut] -= start[b]! - min[cut];
      p[stack] += b * length;
    };
    for (const node of placed.nodes) shift(node, band.get(node.id)!);
    const after = bounds(placed);
    const byId = new Map(placed.nodes.map((n) => [n.id, n]));
    for (const edge of placed.edges) {
      const [b, c] = [band.get(edge.source)!, band.get(edge.target)!];
      if (b === c) {
        edge.points.forEach((p) => shift(p, b));
        continue;
      }
      const [s, e] = ports(byId.get(edge.source)!, byId.get(edge.target)!, direction);
      edge.points = [s, e];
      if (e[main] - s[main] > gap[main] / 2) continue;
      // Running backwards (a row's end to the next row's start): round through the gap beside the
      // source's band, or past the far side when bands sit along the ranks, not across the nodes.
      const side: Axis = main === "x" ? "y" : "x";
      const lane =
        stack === side ? min[stack] + (c > b ? b + 1 : b) * length - gap[stack] / 2 : after.max[side] + gap[side] / 2;
      const at = (m: number, o: number): Point => (main === "x" ? { x: m, y: o } : { x: o, y: m });
      const [m1, m2] = [s[main] + gap[main] / 4, e[main] - gap[main] / 4];
      edge.points = [s, at(m1, s[side]), at(m1, lane), at(m2, lane), at(m2, e[side]), e];
    }
    break;
  }
  return placed;
}

/** The box around all nodes and, when given, edge points. */
function bounds(placed: { nodes: PositionedNode[]; edges?: PositionedEdge[] }): Record<"min" | "max", Point> {
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

function mean(of: readonly number[], value: ArrayLike<number>): number | undefined {
  if (of.length === 0) return undefined;
  let sum = 0;
  for (const v of of) sum += value[v]!;
  return sum / of.length;
}

/**
 * Centre coordinates closest (least squares) to `wanted`, in the given order, with at least `gap`
 * between neighbouring boxes. Subtracting the cumulative minimum spacing turns the constraint into
 * "non-decreasing", which pool-adjacent-violators solves in one pass.
 */
function pack(wanted: readonly number[], sizes: readonly number[], gap: number): number[] {
  const shift: number[] = [];
  for (let i = 0; i < wanted.length; i++) shift.push(i && shift[i - 1]! + (sizes[i - 1]! + sizes[i]!) / 2 + gap);
  const blocks: { sum: number; count: number }[] = [];
  for (let i = 0; i < wanted.length; i++) {
    blocks.push({ sum: wanted[i]! - shift[i]!, count: 1 });
    while (blocks.length > 1) {
      const last = blocks[blocks.length - 1]!;
      const prev = blocks[blocks.length - 2]!;
      if (prev.sum / prev.count <= last.sum / last.count) break;
      prev.sum += last.sum;
      prev.count += last.count;
      blocks.pop();
    }
  }
  const out: number[] = [];
  for (const block of blocks) for (let k = 0; k < block.count; k++) out.push(block.sum / block.count);
  return out.map((v, i) => v + shift[i]!);
}

/** Translates everything so the bounding box of nodes and edge points starts at (0, 0). */
function normalize(nodes: PositionedNode[], edges: PositionedEdge[]): Omit<DagLayout, "engine"> {
  if (nodes.length === 0) return { width: 0, height: 0, nodes, edges };
  const { min, max } = bounds({ nodes, edges });
  for (const node of nodes) [node.x, node.y] = [node.x - min.x, node.y - min.y];
  for (const edge of edges) for (const p of edge.points) [p.x, p.y] = [p.x - min.x, p.y - min.y];
  return { width: max.x - min.x, height: max.y - min.y, nodes, edges };
}
