import { test } from "node:test";
import assert from "node:assert/strict";
import * as ct from "valence-workflows";
import { dagToSvg, COMPACT_THRESHOLD } from "#src/notebook/dag-svg.js";
import { layoutDag, type DagLayout, type Direction } from "#src/notebook/dag-layout.js";

const ENTITY = /&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g;
const NOT_XML_CHAR =
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * A strict check of the XML we emit (no parser among our dependencies): one root element, balanced
 * tags, unique double-quoted attributes, no raw `<` or stray `&` in text or values, only XML chars.
 */
function assertWellFormedXml(xml: string): void {
  assert.doesNotMatch(xml, NOT_XML_CHAR);
  const tag = /<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[A-Za-z_][\w.:-]*="[^"<]*")*)\s*(\/?)>/y;
  const stack: string[] = [];
  let roots = 0;
  for (let i = 0; i < xml.length;) {
    if (xml[i] !== "<") {
      const end = xml.indexOf("<", i) === -1 ? xml.length : xml.indexOf("<", i);
      const text = xml.slice(i, end);
      assert.ok(stack.length > 0 || text.trim() === "", `text outside the root at ${i}`);
      assert.doesNotMatch(text.replace(ENTITY, ""), /[&>]/, `unescaped text at ${i}: ${text.slice(0, 80)}`);
      i = end;
      continue;
    }
    tag.lastIndex = i;
    const m = tag.exec(xml);
    assert.ok(m, `malformed tag at ${i}: ${xml.slice(i, i + 80)}`);
    const [whole, closing, name, attributes, selfClosing] = m;
    const names = [...attributes!.matchAll(/([\w.:-]+)="([^"]*)"/g)].map(([, n, value]) => {
      assert.doesNotMatch(value!.replace(ENTITY, ""), /&/, `unescaped & in ${n} at ${i}`);
      return n;
    });
    assert.equal(new Set(names).size, names.length, `duplicate attribute at ${i}`);
    if (closing) {
      assert.ok(!attributes && !selfClosing, `bad closing tag at ${i}`);
      assert.equal(stack.pop(), name, `mismatched </${name}> at ${i}`);
    } else {
      if (stack.length === 0) roots++;
      if (!selfClosing) stack.push(name!);
    }
    i += whole.length;
  }
  assert.deepEqual(stack, [], "unclosed elements");
  assert.equal(roots, 1, "exactly one root element");
}

/** Each node group's attributes and inner markup (groups hold no nested groups). */
function nodeGroups(svg: string): { id: number; kind: string; status?: string; body: string }[] {
  return [...svg.matchAll(/<g class="valence-node" ([^>]*)>(.*?)<\/g>/gs)].map(([, attributes, body]) => ({
    id: Number(/data-id="(\d+)"/.exec(attributes!)![1]),
    kind: /data-kind="([^"]*)"/.exec(attributes!)![1]!,
    status: /data-status="([^"]*)"/.exec(attributes!)?.[1],
    body: body!,
  }));
}

const load = ct.electron(function loadTable(): { rows: number[]; meta: { owner: string } } {
  return { rows: [1, 2, 3], meta: { owner: "ops" } };
});
const score = ct.electron(function score(x: number, opts: { scale: number }) {
  return x * opts.scale;
});
const merge = ct.electron(function merge(xs: number[], by: { owner: string }) {
  return `${by.owner}:${xs.length}`;
});
const prepare = ct.electron(function prepareData() {
  return 1;
});
const process = ct.electron(function processData(x: number) {
  return x + 1;
});

/** A fan-out over getitem nodes, a dict, a list, parameters, a getattr and a wait edge. */
function mixedDocument() {
  return ct
    .lattice(function mixedFlow(scale: number) {
      const table = load();
      const scores = [0, 1, 2].map((i) => score(table.rows[i]!, { scale }));
      const merged = merge(scores, { owner: table.meta.owner });
      return ct.wait(score(7, { scale: 2 }), [merged]);
    })
    .build(3)
    .toJSON();
}

test("a lattice draws as well-formed SVG with one titled group per node", () => {
  const doc = mixedDocument();
  const svg = dagToSvg(doc);
  assertWellFormedXml(svg);
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="(\d+)" height="(\d+)" viewBox="0 0 \1 \2"/);
  const groups = nodeGroups(svg);
  assert.deepEqual(
    groups.map((g) => g.id).sort((a, b) => a - b),
    doc.nodes.map((n) => n.id),
  );
  for (const group of groups) assert.match(group.body, /^<title>[^<]+<\/title>/);
  const kinds = new Set(groups.map((g) => g.kind));
  for (const kind of ["electron", "parameter", "list", "dict", "getitem", "getattr"]) assert.ok(kinds.has(kind), kind);
  // Labels follow the display rules the extension draws with (schema/src/display.ts).
  assert.match(svg, />\[ … \]</);
  assert.match(svg, />\{ … \}</);
  assert.match(svg, />\[1\]</);
  assert.match(svg, />\.owner</);
  assert.ok(svg.includes(`>mixedFlow</tspan> — ${doc.nodes.length} nodes<`));
});

test("wait edges are dashed, data edges solid, and both end in an arrowhead", () => {
  const doc = mixedDocument();
  const svg = dagToSvg(doc);
  const group = (kind: string) =>
    new RegExp(`<g class="valence-edges" data-kind="${kind}"([^>]*)>(.*?)</g>`).exec(svg)!;
  const [, waitAttributes, waitPaths] = group("wait");
  const [, dataAttributes, dataPaths] = group("data");
  assert.match(waitAttributes!, /stroke-dasharray=/);
  assert.doesNotMatch(dataAttributes!, /stroke-dasharray=/);
  for (const attributes of [waitAttributes!, dataAttributes!])
    assert.match(attributes, /marker-end="url\(#[\w-]+arrow\)"/);
  assert.equal(waitPaths!.match(/<path /g)!.length, doc.edges.filter((e) => e.kind === "wait").length);
  assert.equal(
    dataPaths!.match(/<path /g)!.length,
    new Set(doc.edges.filter((e) => e.kind === "data").map((e) => `${e.source}>${e.target}`)).size,
  );
});

test("user-supplied names are escaped, so a hostile name cannot break out of the drawing", () => {
  const hostile = '<script>alert("x")</script>&\'"';
  const sneaky = ct.electron(
    function plain(x: number) {
      return x;
    },
    { name: hostile },
  );
  const doc = ct
    .lattice(
      function flow() {
        return sneaky(prepare());
      },
      { name: `${hostile}\u0001\ud800` },
    )
    .build()
    .toJSON();
  const svg = dagToSvg(doc);
  assertWellFormedXml(svg);
  assert.doesNotMatch(svg, /<script/);
  assert.ok(svg.includes("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;&quot;"));
  assert.equal(nodeGroups(svg).length, 2);
});

test("statuses show as a glyph as well as a colour, and the title counts them", () => {
  const doc = ct
    .lattice(function dataProcessing(n: number) {
      return Array.from({ length: n }, () => process(prepare()));
    })
    .build(10)
    .toJSON();
  const statuses = ["COMPLETED", "FAILED", "RUNNING", "PENDING", "CANCELLED"] as const;
  doc.nodes.forEach((node, i) => (node.status = i < 12 ? "COMPLETED" : statuses[i % statuses.length]));
  const svg = dagToSvg(doc);
  assertWellFormedXml(svg);
  for (const group of nodeGroups(svg)) {
    const status = doc.nodes.find((n) => n.id === group.id)!.status!;
    assert.equal(group.status, status);
    assert.match(group.body, new RegExp(`<use href="#[\\w-]+-${status}"`), `glyph of node ${group.id}`);
  }
  for (const status of statuses) assert.match(svg, new RegExp(`<symbol id="[\\w-]+-${status}"`));
  assert.match(svg, /✓ 13 completed/);
  assert.match(svg, /✗ 1 failed/);
  assert.match(svg, /— 20 nodes · /);

  const dryRun = dagToSvg({ ...doc, nodes: doc.nodes.map(({ status: _status, ...node }) => node) });
  assert.doesNotMatch(dryRun, /data-status=|<use /);
});

test("hideParameters leaves out parameter nodes and their edges, and says so", () => {
  const doc = mixedDocument();
  const parameters = doc.nodes.filter((n) => n.kind === "parameter");
  assert.ok(parameters.length > 0);
  const svg = dagToSvg(doc, { hideParameters: true });
  assertWellFormedXml(svg);
  const groups = nodeGroups(svg);
  assert.equal(groups.length, doc.nodes.length - parameters.length);
  assert.ok(groups.every((g) => g.kind !== "parameter"));
  assert.match(svg, new RegExp(`${parameters.length} parameters hidden`));
  const hiddenEdges = doc.edges.filter((e) => parameters.some((p) => p.id === e.source)).length;
  const drawnEdges = [...svg.matchAll(/<g class="valence-edges"[^>]*>(.*?)<\/g>/g)].map(
    ([, paths]) => paths!.split("<path ").length - 1,
  );
  assert.equal(
    drawnEdges.reduce((a, b) => a + b),
    new Set(doc.edges.map((e) => `${e.source}>${e.target}`)).size - hiddenEdges,
  );
});

test("top-to-bottom drawing puts dependants below their inputs", () => {
  const doc = mixedDocument();
  const svg = dagToSvg(doc, { direction: "TB" });
  assertWellFormedXml(svg);
  const y = new Map(
    [...svg.matchAll(/data-id="(\d+)"[^>]*transform="translate\([\d.-]+,([\d.-]+)\)"/g)].map(([, id, top]) => [
      Number(id),
      Number(top),
    ]),
  );
  for (const e of doc.edges.filter((e) => e.kind === "data")) assert.ok(y.get(e.target)! > y.get(e.source)!);
});

test("an empty lattice draws its card and title", () => {
  const svg = dagToSvg(
    ct
      .lattice(function nothing() {
        return 1;
      })
      .build()
      .toJSON(),
  );
  assertWellFormedXml(svg);
  assert.match(svg, /nothing<\/tspan> — 0 nodes/);
  assert.equal(nodeGroups(svg).length, 0);
});

test("5,000 nodes draw as compact marks, every node still present with its hover title", () => {
  const doc = ct
    .lattice(function wide(n: number) {
      return Array.from({ length: n }, () => process(prepare()));
    })
    .build(2500)
    .toJSON();
  doc.nodes.forEach((node, i) => (node.status = i % 97 === 0 ? "FAILED" : "COMPLETED"));
  assert.ok(doc.nodes.length > COMPACT_THRESHOLD);
  const svg = dagToSvg(doc);
  assertWellFormedXml(svg);
  const groups = nodeGroups(svg);
  assert.equal(groups.length, 5000);
  assert.ok(groups.every((g) => !g.body.includes("<text")));
  assert.ok(groups.every((g) => /<title>(prepareData|processData)\n/.test(g.body)));
});

/** A deterministic pseudo-random DAG: each node reads one or two of the dozen nodes before it. */
function randomDag(n: number): {
  nodes: { id: number; width: number; height: number }[];
  edges: { source: number; target: number }[];
} {
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const nodes = Array.from({ length: n }, (_, id) => ({
    id,
    width: 40 + Math.floor(next() * 80),
    height: 24 + Math.floor(next() * 12),
  }));
  const edges = [];
  for (let i = 1; i < n; i++) {
    edges.push({ source: Math.max(0, i - 1 - Math.floor(next() * 12)), target: i });
    if (i > 3) edges.push({ source: i - 1 - Math.floor(next() * 3), target: i });
  }
  return { nodes, edges };
}

function assertNoOverlap(layout: DagLayout): void {
  const boxes = layout.nodes;
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const [a, b] = [boxes[i]!, boxes[j]!];
      const apart =
        Math.abs(a.x - b.x) >= (a.width + b.width) / 2 - 0.01 ||
        Math.abs(a.y - b.y) >= (a.height + b.height) / 2 - 0.01;
      assert.ok(apart, `nodes ${a.id} and ${b.id} overlap`);
    }
  }
}

test("both layout engines keep every edge pointing forward, attached to its nodes, with no overlaps", () => {
  const { nodes, edges } = randomDag(100);
  for (const engine of ["dagre", "layered"] as const) {
    for (const direction of ["LR", "TB"] as Direction[]) {
      const layout = layoutDag(nodes, edges, { engine, direction });
      assert.equal(layout.engine, engine);
      const at = new Map(layout.nodes.map((n) => [n.id, n]));
      const along = direction === "LR" ? "x" : "y";
      for (const edge of layout.edges) {
        const [from, to] = [at.get(edge.source)!, at.get(edge.target)!];
        assert.ok(to[along] > from[along], `${engine} ${direction}: edge ${edge.source}→${edge.target}`);
        const [start, end] = [edge.points[0]!, edge.points[edge.points.length - 1]!];
        const half = (n: typeof from) => (direction === "LR" ? n.width : n.height) / 2;
        assert.ok(Math.abs(start[along] - (from[along] + half(from))) < 0.01);
        assert.ok(Math.abs(end[along] - (to[along] - half(to))) < 0.01);
      }
      assertNoOverlap(layout);
      for (const n of layout.nodes) assert.ok(n.x - n.width / 2 >= -0.01 && n.x + n.width / 2 <= layout.width + 0.01);
    }
  }
});

test("auto layout uses dagre for small graphs and the linear layered layout for big ones", () => {
  const small = randomDag(40);
  assert.equal(layoutDag(small.nodes, small.edges).engine, "dagre");
  const big = randomDag(3000);
  assert.equal(layoutDag(big.nodes, big.edges).engine, "layered");
});

test("folding turns a long chain into rows of a readable shape, wrap edges detouring between rows", () => {
  const nodes = Array.from({ length: 80 }, (_, id) => ({ id, width: 100, height: 36 }));
  const edges = nodes.slice(1).map((n) => ({ source: n.id - 1, target: n.id }));
  const flat = layoutDag(nodes, edges);
  const folded = layoutDag(nodes, edges, { fold: true });
  assert.ok(flat.width / flat.height > 50);
  assert.ok(folded.width / folded.height < 4 && folded.width / folded.height > 0.8, `${folded.width}×${folded.height}`);
  assertNoOverlap(folded);
  const wraps = folded.edges.filter((e) => e.points.length > 2);
  assert.ok(wraps.length > 0);
  for (const edge of wraps) {
    const [start, end] = [edge.points[0]!, edge.points[edge.points.length - 1]!];
    assert.ok(end.x < start.x && end.y > start.y, "a wrap goes back to the start of a lower row");
  }
});
