// Draws a laid-out DAG as SVG with d3-selection: edges under nodes, each node a `g.valence-node`
// carrying its id (`data-node-id`), kind and status as classes, a status glyph (status never rests
// on colour alone) and, for a folded group, a progress bar. `restyle` recolours a node in place, so
// live updates never redraw the graph. Colours live in style/dag.css.
import { create } from "d3-selection";

import { GLYPH_SPACE, type DagLayout, type PlacedEdge, type PlacedNode } from "./layout";
import { nodeTooltip } from "./labels";
import type { Status } from "./schema/dag.generated";
import { isTaskNode } from "./schema/display";
import type { GroupCounts } from "./shape";

/**
 * The drawing shrinks to fit the output's width, but not below this fraction of its natural size
 * (labels stay readable): a wider DAG scrolls sideways instead.
 */
const MIN_SCALE = 0.75;

/** Glyph marks in a 16 × 16 box centred on 0, drawn as paths because fonts may lack ✓ or ⊘. */
const GLYPH_MARKS: Partial<Record<Status, string>> = {
  COMPLETED: "M-3.6 0.2L-1.1 2.7L3.8-2.4",
  FAILED: "M-3-3L3 3M3-3L-3 3",
  RUNNING: "M-2.6 0a2.6 2.6 0 1 0 5.2 0a2.6 2.6 0 1 0-5.2 0",
  CANCELLED: "M-4.4 4.4L4.4-4.4",
};

let drawings = 0;

/** `COMPLETED` → `valence-status-completed`. */
export const statusClass = (status: string): string => `valence-status-${status.toLowerCase().replace(/_/g, "-")}`;

function edgePath({ points }: PlacedEdge): string {
  return points.map(({ x, y }, i) => `${i === 0 ? "M" : "L"}${x.toFixed(1)},${y.toFixed(1)}`).join("");
}

function nodeClass(placed: PlacedNode, status: Status | undefined, waiting: boolean): string {
  const group = placed.shaped.group ? " valence-group" : "";
  const held = waiting ? " valence-waiting" : "";
  return `valence-node valence-kind-${placed.node.kind}${group} ${statusClass(status ?? "NEW_OBJECT")}${held}`;
}

/** Whether a drawn node (or any member of a folded group) waits for a worker that can run it. */
const isWaiting = (placed: PlacedNode): boolean =>
  placed.shaped.group ? (placed.shaped.group.counts.waiting ?? 0) > 0 : placed.node.waiting !== undefined;

export interface DrawnDag {
  readonly svg: SVGSVGElement;
  /**
   * Shows a node's new status (and a group's progress) without touching the rest; `waiting` marks a
   * node whose executor holds it (no worker can run it yet).
   */
  restyle(drawnId: number, status: Status | undefined, counts?: GroupCounts, tooltip?: string, waiting?: boolean): void;
}

/** An `svg.valence-dag` of the layout; its `g.valence-dag-content` is what zooming transforms. */
export function drawDag(layout: DagLayout, title: string): DrawnDag {
  const arrowId = `valence-arrow-${++drawings}`;
  const svg = create("svg")
    .attr("class", "valence-dag")
    .attr("role", "img")
    .attr("aria-label", title)
    .attr("viewBox", `0 0 ${layout.width} ${layout.height}`)
    .attr("width", layout.width)
    .attr("height", layout.height)
    .style("min-width", `${Math.round(layout.width * MIN_SCALE)}px`);
  svg
    .append("defs")
    .append("marker")
    .attr("id", arrowId)
    .attr("viewBox", "0 0 10 10")
    .attr("refX", 9)
    .attr("refY", 5)
    .attr("markerWidth", 7)
    .attr("markerHeight", 7)
    .attr("orient", "auto-start-reverse")
    .append("path")
    .attr("class", "valence-arrowhead")
    .attr("d", "M0,0L10,5L0,10z");

  const content = svg.append("g").attr("class", "valence-dag-content");
  content
    .append("g")
    .attr("class", "valence-edges")
    .selectAll("path")
    .data(layout.edges)
    .join("path")
    .attr("class", ({ edge }) => `valence-edge valence-edge-${edge.kind}`)
    .attr("d", edgePath)
    .attr("marker-end", `url(#${arrowId})`);

  const nodes = content
    .append("g")
    .attr("class", "valence-nodes")
    .selectAll("g")
    .data(layout.nodes)
    .join("g")
    .attr("class", (placed) => nodeClass(placed, placed.node.status, isWaiting(placed)))
    .attr("data-node-id", ({ shaped }) => shaped.id)
    .attr("tabindex", 0)
    .attr("transform", ({ x, y }) => `translate(${x.toFixed(1)},${y.toFixed(1)})`);
  nodes.append("title").text(({ node, shaped }) => nodeTooltip(node, shaped.group?.counts));
  nodes
    .append("rect")
    .attr("class", "valence-node-shape")
    .attr("width", ({ width }) => width)
    .attr("height", ({ height }) => height)
    .attr("rx", (placed) => (isTaskNode(placed.node) ? 4 : placed.height / 2));
  const tasks = nodes.filter(({ node }) => isTaskNode(node));
  const glyphs = tasks
    .append("g")
    .attr("class", "valence-glyph")
    .attr("transform", ({ height }) => `translate(${GLYPH_SPACE / 2 + 4},${height / 2})`);
  glyphs.append("circle").attr("class", "valence-glyph-disc").attr("r", 6.5);
  glyphs
    .append("path")
    .attr("class", "valence-glyph-mark")
    .attr("d", ({ node }) => GLYPH_MARKS[node.status ?? "NEW_OBJECT"] ?? "");
  nodes
    .append("text")
    .attr("class", "valence-node-label")
    .attr("x", ({ width, node }) => width / 2 + (isTaskNode(node) ? GLYPH_SPACE / 2 : 0))
    .attr("y", ({ height }) => height / 2)
    .attr("dy", "0.35em")
    .attr("text-anchor", "middle")
    .text(({ label }) => label);
  const groups = nodes.filter(({ shaped }) => shaped.group !== undefined);
  groups
    .append("rect")
    .attr("class", "valence-group-track")
    .attr("x", 3)
    .attr("y", ({ height }) => height - 5)
    .attr("width", ({ width }) => width - 6)
    .attr("height", 3);
  groups
    .append("rect")
    .attr("class", "valence-group-done")
    .attr("x", 3)
    .attr("y", ({ height }) => height - 5)
    .attr("height", 3)
    .attr("width", ({ width, shaped }) => barWidth(width, shaped.group!.counts));

  const svgNode = svg.node()!;
  const elements = new Map<number, SVGGElement>();
  const placedById = new Map(layout.nodes.map((placed) => [placed.shaped.id, placed]));
  nodes.each(function (placed) {
    elements.set(placed.shaped.id, this as SVGGElement);
  });
  return {
    svg: svgNode,
    restyle(drawnId, status, counts, tooltip, waiting = false) {
      const element = elements.get(drawnId);
      const placed = placedById.get(drawnId);
      if (!element || !placed) return;
      element.setAttribute("class", nodeClass(placed, status, waiting));
      element.querySelector(".valence-glyph-mark")?.setAttribute("d", GLYPH_MARKS[status ?? "NEW_OBJECT"] ?? "");
      if (counts)
        element.querySelector(".valence-group-done")?.setAttribute("width", String(barWidth(placed.width, counts)));
      if (tooltip !== undefined) {
        const title = element.querySelector("title");
        if (title) title.textContent = tooltip;
      }
    },
  };
}

function barWidth(width: number, counts: GroupCounts): number {
  return counts.total ? ((width - 6) * counts.completed) / counts.total : 0;
}
