// The transport graph travels in columns (version 2): small, read without an object per node, and
// checked on arrival; a version 1 graph (an object per node and edge) from an older client still runs
// and draws.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as ct from "valence-workflows";
import type { DagDocument } from "@valence/schema";
import { call, DispatcherError } from "#src/client/connection.js";
import { encodeValue, toTransportGraph, type TransportGraph } from "#src/workflow/transport.js";
import { serializeLattice } from "#src/workflow/serialize/index.js";
import { serializeElectron } from "#src/workflow/serialize/index.js";
import { optionsDocument } from "#src/workflow/dag-document.js";
import type { Graph } from "#src/workflow/graph.js";
import { useDispatcher } from "../support/dispatcher.ts";

useDispatcher();

const add = ct.electron(function add(a: number, b: number) {
  return a + b;
});
const pick = ct.electron(function pick(o: { xs: number[]; label: string }) {
  return `${o.label}:${o.xs.join("+")}`;
});
const load = ct.electron(function load(n: number) {
  return { a: { b: [n, n + 1] } };
});
const mixed = ct.lattice(
  function mixed(n: number) {
    const f = load(n);
    const xs = [add(f.a.b[0]!, 1), add(f.a.b[1]!, 1)];
    const sum = add(xs[0]!, xs[1]!);
    return { sum, text: pick({ xs, label: "xs" }) };
  },
  { name: "mixed" },
);

const noop = ct.electron(function noop(x: number) {
  return x;
});
const fanOut = ct.lattice(
  function fanOut(n: number) {
    const xs = [];
    for (let i = 0; i < n; i++) xs.push(noop(i));
    return xs.length;
  },
  { name: "fanOut" },
);

/** The same graph as version 1 sent it: an object per node (values as base64) and per edge. */
function versionOne(graph: Graph) {
  const electrons: unknown[] = [];
  const index = new Map<unknown, number>();
  return {
    version: 1,
    latticeName: graph.latticeName,
    electrons,
    nodes: graph.nodes.map((node) => {
      const doc: Record<string, unknown> = { id: node.id, kind: node.kind, name: node.name };
      if (node.electron) {
        if (!index.has(node.electron)) index.set(node.electron, electrons.push(serializeElectron(node.electron)) - 1);
        doc.electron = index.get(node.electron);
        doc.options = node.options ? optionsDocument(node.options) : {};
      }
      if (node.kind === "parameter") doc.value = encodeValue(node.value, "a parameter");
      if (node.key !== undefined) doc.key = node.key;
      return doc;
    }),
    edges: graph.edges.map((edge) => ({ ...edge })),
    output: toTransportGraph(graph).output,
  };
}

async function post(graph: unknown, lattice = mixed, args: unknown[] = [5]): Promise<string> {
  const body = { graph, lattice: serializeLattice(lattice), inputs: encodeValue(args, "the arguments") };
  return (await call<{ dispatchId: string }>("POST", "/api/v1/dispatches", body)).dispatchId;
}

test("a 10,000-task fan-out travels as columns: well under 1 MB of JSON, one letter per node kind", () => {
  const graph = toTransportGraph(fanOut.build(10_000));
  assert.equal(graph.version, 2);
  assert.equal(graph.nodes.kind, "pe".repeat(10_000));
  assert.equal(graph.edges.source.length, 10_000);
  assert.deepEqual(graph.electrons.length, 1);
  const bytes = JSON.stringify(graph).length;
  assert.ok(bytes < 1_000_000, `${bytes} bytes`);
});

test("a graph with lists, dicts and getitems runs from its columns, and draws as the kernel drew it", async () => {
  const built = mixed.build(5);
  const graph = toTransportGraph(built);
  assert.ok(graph.nodes.keys, "getitem keys travel");
  const id = await post(graph);
  const result = await ct.getResult(id, { wait: true });
  assert.equal(result.status, "COMPLETED", String(result));
  assert.deepEqual(result.result, { sum: 13, text: "xs:6+7" });
  const drawn = await call<DagDocument>("GET", `/api/v1/dispatches/${id}/graph`);
  const local = built.toJSON();
  assert.deepEqual(
    drawn.nodes.map((n) => [n.id, n.kind, n.name, n.key, n.value, n.options]),
    local.nodes.map((n) => [n.id, n.kind, n.name, n.key, n.value, n.options]),
  );
  assert.deepEqual(drawn.edges, local.edges);
});

test("a version 1 graph from an older client still runs, is stored and draws", async () => {
  const built = mixed.build(5);
  const id = await post(versionOne(built));
  const result = await ct.getResult(id, { wait: true });
  assert.equal(result.status, "COMPLETED", String(result));
  assert.deepEqual(result.result, { sum: 13, text: "xs:6+7" });
  const drawn = await call<DagDocument>("GET", `/api/v1/dispatches/${id}/graph`);
  assert.deepEqual(
    drawn.nodes.map((n) => [n.kind, n.name, n.key, n.value]),
    built.toJSON().nodes.map((n) => [n.kind, n.name, n.key, n.value]),
  );
  assert.equal(drawn.nodes.filter((n) => n.status === "COMPLETED").length, drawn.nodes.length);
});

test("malformed columns are refused with the problem named, and no dispatch is made", async () => {
  const good = (): TransportGraph => structuredClone(toTransportGraph(mixed.build(5)));
  const cases: Array<[string, (g: TransportGraph) => void, RegExp]> = [
    ["an unknown kind letter", (g) => (g.nodes.kind = `x${g.nodes.kind.slice(1)}`), /kind must match pattern/],
    ["a short column", (g) => g.nodes.name.pop(), /nodes\.name has \d+ entries, not \d+/],
    ["a name out of range", (g) => (g.nodes.name[1] = 999), /node 1 names entry 999/],
    ["an electron out of range", (g) => (g.nodes.electron[1] = 7), /node 1 has no electron spec/],
    ["options out of range", (g) => (g.nodes.options[1] = 7), /node 1 names options 7/],
    ["values of the wrong length", (g) => (g.nodes.valueLength[0] = 99), /nodes\.values holds \d+ bytes/],
    ["an edge to a missing node", (g) => (g.edges.target[0] = 500), /edge \d+→500 names a node/],
    ["edge columns of different lengths", (g) => g.edges.position.pop(), /edge columns differ in length/],
    ["a negative source", (g) => (g.edges.source[0] = -3), /source\/0 must be >= 0/],
  ];
  const before = (await ct.listDispatches()).length;
  for (const [what, spoil, message] of cases) {
    const graph = good();
    spoil(graph);
    const refused = await post(graph).then(
      () => undefined,
      (error: unknown) => error,
    );
    assert.ok(refused instanceof DispatcherError, `${what}: refused`);
    assert.equal(refused.status, 400, what);
    assert.match(refused.message, message, what);
  }
  assert.equal((await ct.listDispatches()).length, before, "nothing was stored");
});
