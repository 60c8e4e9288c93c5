import { test } from "node:test";
import assert from "node:assert/strict";
import * as ct from "valence-workflows";
import { dataProcessing, prepareData, processData } from "../../../examples/seed-lattice.ts";

// The seed example itself, as users run it.
test("the seed example builds 10 prepare → process pairs returning a list of 10 futures", () => {
  const graph = dataProcessing.build(10);
  assert.equal(graph.nodes.length, 20);
  assert.deepEqual(
    graph.nodes.map((n) => n.name),
    Array.from({ length: 10 }, () => ["prepareData", "processData"]).flat(),
  );
  assert.deepEqual(
    graph.edges,
    Array.from({ length: 10 }, (_, i) => ({ source: 2 * i, target: 2 * i + 1, kind: "data", position: 0 })),
  );
  assert.deepEqual(graph.output, {
    kind: "array",
    items: Array.from({ length: 10 }, (_, i) => ({ kind: "future", node: 2 * i + 1 })),
  });
  assert.deepEqual(graph.node(1).options, { retries: 2, resources: { cpus: 1, memoryMB: 256 } });
});

test("the same lattice with the same inputs gives the same graph", () => {
  assert.deepEqual(dataProcessing.build(5).toJSON(), dataProcessing.build(5).toJSON());
});

test("literal arguments become parameter nodes holding the value", () => {
  const add = ct.electron(function add(a: number, b: number) {
    return a + b;
  });
  const wf = ct.lattice(function addOne(x: number) {
    return add(x, 1);
  });
  const graph = wf.build(41);
  assert.deepEqual(
    graph.nodes.map((n) => [n.kind, n.value]),
    [
      ["parameter", 41],
      ["parameter", 1],
      ["electron", undefined],
    ],
  );
  assert.deepEqual(
    graph.edges.map((e) => [e.source, e.target, e.position]),
    [
      [0, 2, 0],
      [1, 2, 1],
    ],
  );
});

test("property and index access on a future become getattr and getitem chains, one node per step", () => {
  const load = ct.electron(function load() {
    return { a: { b: [10, 20] } };
  });
  const use = ct.electron(function use(x: number) {
    return x;
  });
  const graph = ct
    .lattice(function chain() {
      const f = load();
      return [use(f.a.b[1]!), use(f.a.b[1]!)];
    })
    .build();
  const kinds = graph.nodes.map((n) => `${n.kind}:${String(n.key ?? n.name)}`);
  assert.deepEqual(kinds, ["electron:load", "getattr:a", "getattr:b", "getitem:1", "electron:use", "electron:use"]);
  assert.equal(graph.node(3).key, 1, "an index is a number key");
});

test("arrays and objects holding futures become list and dict nodes, nested ones too, with positions and keys", () => {
  const one = ct.electron(function one() {
    return 1;
  });
  const take = ct.electron(function take(x: { xs: number[][]; k: number }) {
    return x;
  });
  const graph = ct
    .lattice(function nested() {
      const a = one();
      return take({ xs: [[a, 2], [3]], k: 4 });
    })
    .build();
  const byId = (id: number) => graph.node(id);
  const dict = graph.nodes.find((n) => n.kind === "dict")!;
  const lists = graph.nodes.filter((n) => n.kind === "list");
  assert.equal(lists.length, 2, "the outer list and the inner [a, 2]; [3] has no future and stays a parameter");
  const into = (id: number) => graph.edges.filter((e) => e.target === id);
  assert.deepEqual(
    into(dict.id).map((e) => [byId(e.source).kind, e.key]),
    [
      ["list", "xs"],
      ["parameter", "k"],
    ],
  );
  const outer = into(dict.id)[0]!.source;
  assert.deepEqual(
    into(outer).map((e) => [byId(e.source).kind, e.position]),
    [
      ["list", 0],
      ["parameter", 1],
    ],
  );
  assert.deepEqual(byId(into(outer)[1]!.source).value, [3]);
});

test("the return structure may be a single future, an array, an object, nested, with plain values", () => {
  const one = ct.electron(function one() {
    return 1;
  });
  const graph = ct
    .lattice(function shapes() {
      const a = one();
      return { single: a, list: [a, 7], nested: { deep: [a] } };
    })
    .build();
  assert.deepEqual(graph.output, {
    kind: "object",
    entries: {
      single: { kind: "future", node: 0 },
      list: {
        kind: "array",
        items: [
          { kind: "future", node: 0 },
          { kind: "value", value: { type: "number", preview: "7" } },
        ],
      },
      nested: { kind: "object", entries: { deep: { kind: "array", items: [{ kind: "future", node: 0 }] } } },
    },
  });
});

test("an electron wrapping a lattice is recorded as one sublattice node", () => {
  const inner = ct.lattice(function inner(n: number) {
    return processData(n);
  });
  const sub = ct.electron(inner);
  const graph = ct
    .lattice(function outer() {
      return sub(prepareData());
    })
    .build();
  assert.deepEqual(
    graph.nodes.map((n) => [n.kind, n.name]),
    [
      ["electron", "prepareData"],
      ["sublattice", "inner"],
    ],
  );
});

test("destructuring a future takes exactly as many items as it binds", () => {
  const pair = ct.electron(function pair(): [number, string] {
    return [1, "a"];
  });
  const graph = ct
    .lattice(function unpack() {
      const [n, s] = pair();
      return { n, s };
    })
    .build();
  assert.deepEqual(
    graph.nodes.map((n) => `${n.kind}${n.key ?? ""}`),
    ["electron", "getitem0", "getitem1"],
  );
});

test("for…of over a future works when the electron declares its output length", () => {
  const three = ct.electron(
    function three(): number[] {
      return [1, 2, 3];
    },
    { outputLength: 3 },
  );
  const graph = ct
    .lattice(function spread() {
      return [...three()];
    })
    .build();
  assert.equal(graph.nodes.filter((n) => n.kind === "getitem").length, 3);
});

test("node names come from the function name or options.name", () => {
  const named = ct.electron((x: number) => x, { name: "identity" });
  const anonymous = ct.electron((x: number) => x);
  assert.equal(named.electronName, "identity");
  assert.equal(anonymous.electronName, "anonymous");
  assert.equal(ct.lattice(() => named(1), { name: "flow" }).latticeName, "flow");
});

test("a lattice's executor and cache defaults apply to electrons that set none", () => {
  const a = ct.electron(function a() {
    return 1;
  });
  const b = ct.electron(
    function b() {
      return 2;
    },
    { executor: "inline", cache: false },
  );
  const graph = ct
    .lattice(
      function defaults() {
        return [a(), b()];
      },
      { executor: "bullmq", cache: true },
    )
    .build();
  assert.deepEqual(graph.node(0).options, { executor: "bullmq", cache: true });
  assert.deepEqual(graph.node(1).options, { executor: "inline", cache: false });
});
