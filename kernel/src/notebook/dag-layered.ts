// The layered layout for big graphs, in linear time (dag-layout.ts picks it over dagre when dagre's run
// would cost seconds): ranks given, order by barycenter sweeps, positions by least squares under gaps.
import {
  ports,
  type Direction,
  type IndexedGraph,
  type Placement,
  type PositionedEdge,
  type PositionedNode,
} from "./dag-geometry";

/**
 * Linear-time layered layout for big graphs: the ranks above, initial order from the depth-first
 * walk (like dagre's), a few barycenter sweeps to cut crossings, then each rank's nodes pulled towards
 * their neighbours under the minimum-gap constraint (solved exactly by pool-adjacent-violators).
 * Long edges are drawn straight across intermediate ranks instead of being routed.
 */
export function layeredLayout(
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
