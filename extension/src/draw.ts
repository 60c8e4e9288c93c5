// Draws a laid-out DAG as SVG with d3-selection: edges under nodes, each node a `g.valence-node`
// carrying its id (`data-node-id`), kind and status as classes, so later updates can find and
// recolour it. Colours live in style/index.css.
import { create } from "d3-selection";

import { isTask, type DagLayout, type PlacedEdge, type PlacedNode } from "./layout";
import { nodeTooltip } from "./labels";

/**
 * The drawing shrinks to fit the output's width, but not below this fraction of its natural size
 * (labels stay readable): a wider DAG scrolls sideways instead.
 */
const MIN_SCALE = 0.75;

let drawings = 0;

/** `COMPLETED` → `valence-status-completed`. */
export const statusClass = (status: string): string => `valence-status-${status.toLowerCase().replace(/_/g, "-")}`;

function edgePath({ points }: PlacedEdge): string {
  return points.map(({ x, y }, i) => `${i === 0 ? "M" : "L"}${x.toFixed(1)},${y.toFixed(1)}`).join("");
}

function nodeClass({ node }: PlacedNode): string {
  return `valence-node valence-kind-${node.kind} ${statusClass(node.status ?? "NEW_OBJECT")}`;
}

/** An `svg.valence-dag` of the layout; its `g.valence-dag-content` is what zooming transforms. */
export function drawDag(layout: DagLayout, title: string): SVGSVGElement {
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
    .attr("class", nodeClass)
    .attr("data-node-id", ({ node }) => node.id)
    .attr("transform", ({ x, y }) => `translate(${x.toFixed(1)},${y.toFixed(1)})`);
  nodes.append("title").text(({ node }) => nodeTooltip(node));
  nodes
    .append("rect")
    .attr("class", "valence-node-shape")
    .attr("width", ({ width }) => width)
    .attr("height", ({ height }) => height)
    .attr("rx", (placed) => (isTask(placed.node) ? 4 : placed.height / 2));
  nodes
    .append("text")
    .attr("class", "valence-node-label")
    .attr("x", ({ width }) => width / 2)
    .attr("y", ({ height }) => height / 2)
    .attr("dy", "0.35em")
    .attr("text-anchor", "middle")
    .text(({ label }) => label);

  return svg.node()!;
}
