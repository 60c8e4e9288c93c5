// The static drawing of a DAG document (image/svg+xml): what GitHub, VS Code and nbconvert show where
// the JupyterLab extension is absent. Self-contained: presentation attributes only (no <style>, which
// would leak into the page when a notebook inlines the SVG), ids prefixed per drawing, fonts generic,
// drawn on its own light card so it reads on white and dark pages alike.
import {
  nodeLabel,
  oneLine,
  truncate,
  type DagDocument,
  type DagNode,
  type NodeKind,
  type Status,
} from "@valence/schema";
import { estimateTextWidth, layoutDag, type Direction, type Point, type PositionedNode } from "./dag-layout";

export interface DagSvgOptions {
  /** "LR" (default): dependants to the right; "TB": below. */
  direction?: Direction;
  /** Leave out parameter nodes (literal arguments) and their edges. Default false. */
  hideParameters?: boolean;
}

/** Above this many drawn nodes, nodes become small labelless marks; names stay in the hover titles. */
export const COMPACT_THRESHOLD = 2000;

const SANS = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";
const MONO = "ui-monospace, SFMono-Regular, Menlo, Consolas, 'Liberation Mono', monospace";
const PAD = 24;
const HEADER = 48;
const INK = { title: "#0f172a", muted: "#64748b", card: "#ffffff", border: "#e2e8f0", grid: "#e2e8f0" };
const EDGE = "#94a3b8";

/** How a status looks: box colours plus a glyph, so status never rests on colour alone. */
interface Tone {
  stroke: string;
  fill: string;
  text: string;
  /** The glyph's colour; also the summary's. */
  mark: string;
  char: string;
  word: string;
}
const STATUS_ORDER = ["COMPLETED", "RUNNING", "PENDING", "FAILED", "CANCELLED"] as const;
type ShownStatus = (typeof STATUS_ORDER)[number];
const TONES: Record<ShownStatus, Tone> = {
  COMPLETED: { stroke: "#22c55e", fill: "#f0fdf4", text: "#14532d", mark: "#16a34a", char: "✓", word: "completed" },
  RUNNING: { stroke: "#3b82f6", fill: "#eff6ff", text: "#1e3a8a", mark: "#2563eb", char: "●", word: "running" },
  PENDING: { stroke: "#94a3b8", fill: "#f8fafc", text: "#334155", mark: "#64748b", char: "○", word: "pending" },
  FAILED: { stroke: "#ef4444", fill: "#fef2f2", text: "#7f1d1d", mark: "#dc2626", char: "✗", word: "failed" },
  CANCELLED: { stroke: "#a8a29e", fill: "#f5f5f4", text: "#57534e", mark: "#78716c", char: "⊘", word: "cancelled" },
};
const TASK_TONE = { stroke: "#a5b4fc", fill: "#ffffff", text: "#1e293b", mark: "#6366f1" };
const HELPER_TONE = { stroke: "#cbd5e1", fill: "#f8fafc", text: "#475569", mark: "#94a3b8" };

/** Glyphs drawn as paths (fonts may lack ✓ or ⊘), in a 16 × 16 box centred on 0. */
const GLYPHS: Record<ShownStatus, (c: string) => string> = {
  COMPLETED: (c) =>
    `<circle r="8" fill="${c}"/><path d="M-3.6 0.2 -1.1 2.7 3.8-2.4" fill="none" stroke="#fff" stroke-width="1.9" stroke-linecap="round" stroke-linejoin="round"/>`,
  RUNNING: (c) => `<circle r="6.8" fill="#fff" stroke="${c}" stroke-width="2"/><circle r="3.4" fill="${c}"/>`,
  PENDING: (c) => `<circle r="6.6" fill="#fff" stroke="${c}" stroke-width="2" stroke-dasharray="3.4 2"/>`,
  FAILED: (c) =>
    `<circle r="8" fill="${c}"/><path d="M-3 -3 3 3M3 -3-3 3" stroke="#fff" stroke-width="1.9" stroke-linecap="round"/>`,
  CANCELLED: (c) =>
    `<circle r="6.8" fill="#fff" stroke="${c}" stroke-width="2"/><path d="M-4.6 4.6 4.6-4.6" stroke="${c}" stroke-width="2"/>`,
};

export function dagToSvg(doc: DagDocument, options: DagSvgOptions = {}): string {
  const direction = options.direction ?? "LR";
  const drawn = options.hideParameters ? doc.nodes.filter((n) => n.kind !== "parameter") : doc.nodes;
  const compact = drawn.length > COMPACT_THRESHOLD;
  const byId = new Map(drawn.map((n) => [n.id, n]));
  const edgeKind = new Map<string, "data" | "wait">();
  for (const e of doc.edges) {
    if (!byId.has(e.source) || !byId.has(e.target)) continue;
    // Two edges between one pair (data and wait): the solid one says more.
    if (edgeKind.get(`${e.source}>${e.target}`) !== "data") edgeKind.set(`${e.source}>${e.target}`, e.kind);
  }
  const boxes = drawn.map((n) => ({ id: n.id, ...nodeBox(n, compact) }));
  const layout = layoutDag(
    boxes,
    doc.edges.filter((e) => edgeKind.has(`${e.source}>${e.target}`)),
    {
      direction,
      nodeSep: compact ? 4 : direction === "LR" ? 14 : 22,
      rankSep: compact ? 28 : direction === "LR" ? 56 : 44,
      fold: true,
    },
  );

  const p = `v${hash(doc)}-`;
  const title = headerText(doc, drawn.length);
  const width = Math.ceil(Math.max(layout.width + 2 * PAD, title.width + 2 * PAD, 280));
  const height = Math.ceil(HEADER + layout.height + 2 * PAD - 4);
  const gx = (width - layout.width) / 2;
  const gy = HEADER + PAD - 4;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"`,
    ` font-family="${SANS}" role="img" aria-label="${xml(title.plain)}">`,
    `<title>${xml(title.plain)}</title>`,
    `<defs>`,
    `<marker id="${p}arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6.5" markerHeight="6.5" orient="auto">`,
    `<path d="M0 1 9 5 0 9z" fill="${EDGE}"/></marker>`,
    `<pattern id="${p}grid" width="16" height="16" patternUnits="userSpaceOnUse"><circle cx="1" cy="1" r="0.9" fill="${INK.grid}"/></pattern>`,
    `<clipPath id="${p}card"><rect x="0.5" y="0.5" width="${width - 1}" height="${height - 1}" rx="10"/></clipPath>`,
  );
  for (const status of STATUS_ORDER) {
    out.push(`<symbol id="${p}${status}" viewBox="-8 -8 16 16">${GLYPHS[status](TONES[status].mark)}</symbol>`);
  }
  out.push(
    `</defs>`,
    `<rect x="0.5" y="0.5" width="${width - 1}" height="${height - 1}" rx="10" fill="${INK.card}" stroke="${INK.border}"/>`,
    `<rect y="${HEADER}" width="${width}" height="${height - HEADER}" fill="url(#${p}grid)" clip-path="url(#${p}card)"/>`,
    `<path d="M1 ${HEADER}H${width - 1}" stroke="${INK.border}"/>`,
    `<text x="${PAD - 4}" y="29" font-size="14" fill="${INK.muted}">${title.rich}</text>`,
  );
  if (drawn.length === 0) {
    out.push(`<text x="${width / 2}" y="${HEADER + 26}" font-size="12" fill="${INK.muted}" text-anchor="middle">`);
    out.push(`nothing to draw</text>`);
  }

  // Edges first, so nodes cover their ends; one group per kind carries the shared attributes.
  const edgeWidth = compact ? 0.7 : 1.3;
  for (const kind of ["data", "wait"] as const) {
    const dash = kind === "wait" ? ` stroke-dasharray="${compact ? "2 2" : "5 4"}"` : "";
    out.push(`<g class="valence-edges" data-kind="${kind}" fill="none" stroke="${EDGE}" stroke-width="${edgeWidth}"`);
    out.push(`${dash} marker-end="url(#${p}arrow)" transform="translate(${n1(gx)},${n1(gy)})">`);
    for (const e of layout.edges) {
      if (edgeKind.get(`${e.source}>${e.target}`) === kind) out.push(`<path d="${edgePath(e.points, direction)}"/>`);
    }
    out.push(`</g>`);
  }

  out.push(`<g transform="translate(${n1(gx)},${n1(gy)})">`);
  for (const placed of layout.nodes) {
    const node = byId.get(placed.id)!;
    const status = shownStatus(node.status);
    out.push(
      `<g class="valence-node" data-id="${xml(String(node.id))}" data-kind="${xml(node.kind)}"`,
      status ? ` data-status="${status}"` : "",
      ` transform="translate(${n1(placed.x - placed.width / 2)},${n1(placed.y - placed.height / 2)})">`,
      `<title>${xml(hoverText(node))}</title>`,
      compact ? compactShape(node, placed, status, p) : fullShape(node, placed, status, p),
      `</g>`,
    );
  }
  out.push(`</g></svg>`);
  return out.join("");
}

type Family = "task" | "parameter" | "helper";
function family(kind: NodeKind): Family {
  if (kind === "parameter") return "parameter";
  return kind === "list" || kind === "dict" || kind === "getitem" || kind === "getattr" ? "helper" : "task";
}

const TASK_FONT = 13;
const SMALL_FONT = 11;

/** Size from the label: the layout only needs boxes. */
function nodeBox(node: DagNode, compact: boolean): { width: number; height: number } {
  const fam = family(node.kind);
  if (compact) return fam === "task" ? { width: 14, height: 14 } : { width: 7, height: 7 };
  const glyph = shownStatus(node.status) ? 1 : 0;
  const label = nodeLabel(node);
  if (fam === "task") {
    const text = estimateTextWidth(label, TASK_FONT);
    return { width: Math.max(96, Math.ceil(text + 44 + (node.kind === "sublattice" ? 6 : 0))), height: 36 };
  }
  const text = estimateTextWidth(label, SMALL_FONT, true);
  return { width: Math.max(34, Math.ceil(text + 18 + glyph * 15)), height: 24 };
}

function fullShape(node: DagNode, box: PositionedNode, status: ShownStatus | undefined, p: string): string {
  const { width: w, height: h } = box;
  const fam = family(node.kind);
  const tone = status ? TONES[status] : fam === "task" ? TASK_TONE : HELPER_TONE;
  const dash = status === "PENDING" ? ` stroke-dasharray="4 3"` : "";
  const label = xml(nodeLabel(node));
  if (fam === "task") {
    const r = 8;
    const frame = `fill="${tone.fill}" stroke="${tone.stroke}"${dash}`;
    const body =
      node.kind === "sublattice"
        ? `<rect x="0.5" y="0.5" width="${w - 1}" height="${h - 1}" rx="${r}" ${frame} stroke-width="1.2"/>` +
          `<rect x="3.5" y="3.5" width="${w - 7}" height="${h - 7}" rx="${r - 3}" fill="none" stroke="${tone.stroke}" stroke-width="1.2"${dash}/>`
        : `<rect x="0.5" y="0.5" width="${w - 1}" height="${h - 1}" rx="${r}" ${frame} stroke-width="1.5"/>`;
    // Without a status the slot shows the kind: a dot for an electron, a ring for a sublattice.
    const slot = status
      ? `<use href="#${p}${status}" x="${node.kind === "sublattice" ? 11 : 9}" y="${h / 2 - 8}" width="16" height="16"/>`
      : node.kind === "sublattice"
        ? `<circle cx="19" cy="${h / 2}" r="4" fill="none" stroke="${tone.mark}" stroke-width="2"/>`
        : `<circle cx="17" cy="${h / 2}" r="4" fill="${tone.mark}"/>`;
    const x = node.kind === "sublattice" ? 33 : 31;
    return (
      `<rect x="1" y="2.5" width="${w - 2}" height="${h - 2}" rx="${r}" fill="#0f172a" fill-opacity="0.07"/>` +
      body +
      slot +
      `<text x="${x}" y="${n1(h / 2 + 4.5)}" font-size="${TASK_FONT}" font-weight="500" fill="${tone.text}">${label}</text>`
    );
  }
  const r = fam === "parameter" ? h / 2 : 5;
  const glyph = status ? `<use href="#${p}${status}" x="6" y="${h / 2 - 6}" width="12" height="12"/>` : "";
  const x = status ? 21 : 9;
  return (
    `<rect x="0.5" y="0.5" width="${w - 1}" height="${h - 1}" rx="${r}" fill="${tone.fill}" stroke="${tone.stroke}"${dash}/>` +
    glyph +
    `<text x="${x}" y="${n1(h / 2 + 3.8)}" font-size="${SMALL_FONT}" font-family="${MONO}" fill="${tone.text}">${label}</text>`
  );
}

function compactShape(node: DagNode, box: PositionedNode, status: ShownStatus | undefined, p: string): string {
  const { width: w, height: h } = box;
  if (family(node.kind) !== "task") {
    const fill = status ? TONES[status].mark : HELPER_TONE.mark;
    return `<circle cx="${w / 2}" cy="${h / 2}" r="${w / 2}" fill="${fill}"/>`;
  }
  const ring =
    node.kind === "sublattice" ? `<rect width="${w}" height="${h}" rx="3" fill="none" stroke="${EDGE}"/>` : "";
  if (status) return `${ring}<use href="#${p}${status}" x="1" y="1" width="${w - 2}" height="${h - 2}"/>`;
  return `${ring}<circle cx="${w / 2}" cy="${h / 2}" r="${w / 2 - 2}" fill="${TASK_TONE.mark}"/>`;
}

/**
 * Through the polyline: where the edge moves forward and sideways, a curve that leaves and enters
 * along the rank axis; elsewhere straight lines with rounded corners (the detours of folded layouts).
 */
function edgePath(points: readonly Point[], direction: Direction): string {
  const curved = (a: Point, b: Point): boolean =>
    direction === "LR" ? b.x - a.x >= 1 && Math.abs(b.y - a.y) >= 0.5 : b.y - a.y >= 1 && Math.abs(b.x - a.x) >= 0.5;
  let d = `M${n1(points[0]!.x)} ${n1(points[0]!.y)}`;
  for (let i = 1; i < points.length; i++) {
    const [a, b, c] = [points[i - 1]!, points[i]!, points[i + 1]];
    if (curved(a, b)) {
      const [mx, my, end] = [n1((a.x + b.x) / 2), n1((a.y + b.y) / 2), `${n1(b.x)} ${n1(b.y)}`];
      d +=
        direction === "LR" ? `C${mx} ${n1(a.y)} ${mx} ${n1(b.y)} ${end}` : `C${n1(a.x)} ${my} ${n1(b.x)} ${my} ${end}`;
      continue;
    }
    const [inLength, outLength] = [Math.hypot(b.x - a.x, b.y - a.y), c ? Math.hypot(c.x - b.x, c.y - b.y) : 0];
    const turns = c && !curved(b, c) && Math.abs((b.x - a.x) * (c.y - b.y) - (b.y - a.y) * (c.x - b.x)) > 0.01;
    const r = turns ? Math.min(8, inLength / 2, outLength / 2) : 0;
    if (r < 0.5) {
      d += `L${n1(b.x)} ${n1(b.y)}`;
      continue;
    }
    const into = { x: b.x - ((b.x - a.x) / inLength) * r, y: b.y - ((b.y - a.y) / inLength) * r };
    const out = { x: b.x + ((c!.x - b.x) / outLength) * r, y: b.y + ((c!.y - b.y) / outLength) * r };
    d += `L${n1(into.x)} ${n1(into.y)}Q${n1(b.x)} ${n1(b.y)} ${n1(out.x)} ${n1(out.y)}`;
  }
  return d;
}

/** "dataProcessing — 20 nodes · ✓ 18 completed · ✗ 2 failed", plain and with coloured spans. */
function headerText(doc: DagDocument, drawnCount: number): { plain: string; rich: string; width: number } {
  const name = truncate(oneLine(doc.lattice.name), 60);
  const counts = new Map<ShownStatus, number>();
  for (const node of doc.nodes) {
    const status = shownStatus(node.status);
    if (status) counts.set(status, (counts.get(status) ?? 0) + 1);
  }
  const total = doc.nodes.length;
  const parts: { text: string; colour?: string }[] = [{ text: `${total} node${total === 1 ? "" : "s"}` }];
  for (const status of STATUS_ORDER) {
    const count = counts.get(status);
    if (count) parts.push({ text: `${TONES[status].char} ${count} ${TONES[status].word}`, colour: TONES[status].mark });
  }
  if (drawnCount < total) parts.push({ text: `${total - drawnCount} parameters hidden` });
  const rest = ` — ${parts.map((s) => s.text).join(" · ")}`;
  const plain = name + rest;
  const width = estimateTextWidth(name, 14) * 1.08 + estimateTextWidth(rest, 14);
  const rich =
    `<tspan font-weight="600" fill="${INK.title}">${xml(name)}</tspan> — ` +
    parts.map((s) => (s.colour ? `<tspan fill="${s.colour}">${xml(s.text)}</tspan>` : xml(s.text))).join(" · ");
  return { plain, rich, width };
}

/** The hover text: full name, kind, status, and what the node carries. */
function hoverText(node: DagNode): string {
  const lines = [truncate(node.name, 300), `${node.kind} · node ${node.id}${node.status ? ` · ${node.status}` : ""}`];
  if (node.value) lines.push(`${node.value.type}: ${node.value.preview}`);
  const o = node.options;
  if (o) {
    const facts = [
      o.executor !== undefined ? `executor ${o.executor}` : "",
      o.retries ? `retries ${o.retries}` : "",
      o.timeoutMs !== undefined ? `timeout ${o.timeoutMs} ms` : "",
    ].filter(Boolean);
    if (facts.length > 0) lines.push(facts.join(" · "));
  }
  return lines.join("\n");
}

function shownStatus(status: Status | undefined): ShownStatus | undefined {
  // hasOwn, not `in`: a document from outside could say "constructor".
  return status !== undefined && Object.hasOwn(TONES, status) ? (status as ShownStatus) : undefined;
}

// Characters XML 1.0 forbids (controls, lone surrogates, U+FFFE/F) would make the whole image invalid.
const NOT_XML =
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Safe as element text and as a quoted attribute value. */
function xml(text: string): string {
  return text.replace(NOT_XML, "\ufffd").replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

function n1(v: number): string {
  return String(Math.round(v * 10) / 10);
}

/** A short id prefix per drawing (FNV-1a): several SVGs inlined in one page must not share ids. */
function hash(doc: DagDocument): string {
  let h = 0x811c9dc5;
  const feed = (s: string): void => {
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  };
  feed(doc.lattice.name);
  for (const node of doc.nodes) feed(`${node.id}${node.name}${node.status ?? ""}`);
  return (h >>> 0).toString(36);
}
