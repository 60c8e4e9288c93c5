// Folding a placed DAG with an extreme aspect ratio (a wide fan-out, a long chain) into side-by-side
// bands that make a 16:10 picture, when almost no edge would cross between bands.
import { AXES, bounds, ports, size, type Axis, type Direction, type Placement, type Point } from "./dag-geometry";

/**
 * See LayoutOptions.fold. Tries cutting across the ranks (a wide fan-out becomes side-by-side
 * columns) and along them (a long chain becomes rows), the one that needs more bands first.
 */
export function fold(placed: Placement, direction: Direction, rankSep: number): Placement {
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
