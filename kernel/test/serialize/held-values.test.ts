import { test } from "node:test";
import assert from "node:assert/strict";
import * as ct from "valence-workflows";
import { serializeElectron, serializeLattice, rebuildElectron, rebuildLattice } from "#src/workflow/serialize/index.js";
import * as fixtures from "../fixtures/held-values.ts";
import { runInFreshWorker } from "../support/fresh-worker.ts";

const json = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

test("a lattice that calls steps[i](x) with const steps = [clean, train] rebuilds and builds the same graph", async () => {
  const spec = json(serializeLattice(fixtures.pipeline));
  const steps = spec.functions[0]!.bindings.steps!;
  assert.equal(steps.kind, "structure");
  const rebuilt = await rebuildLattice(spec);
  assert.deepEqual(rebuilt.build(4).toJSON(), fixtures.pipeline.build(4).toJSON());
  assert.deepEqual(
    rebuilt
      .build(4)
      .toJSON()
      .nodes.filter((n) => n.kind === "electron")
      .map((n) => n.name),
    ["clean", "train"],
  );
  assert.equal(await ct.runLocal(rebuilt)(4), 50);
});

const sameInWorker = [
  ["electrons inside an object, a Map and a Set", fixtures.useContainers, [2]],
  ["a function inside a nested array", fixtures.useNestedFunction, [5]],
  ["a value with a cycle and an object shared by two places", fixtures.useCycles, []],
  [
    'require("node:path") held in a variable and an `import * as` namespace inside an object',
    fixtures.useModules,
    ["/a/b.txt"],
  ],
  ['the package itself, held in a variable (`await import("valence-workflows")`)', fixtures.usePackage, []],
] as const;

for (const [what, electron, args] of sameInWorker) {
  test(`an electron using ${what} rebuilds in a fresh worker thread and returns what it returns here`, async () => {
    const spec = serializeElectron(electron);
    const here = await (electron.run as (...a: unknown[]) => unknown)(...args);
    assert.deepEqual(await runInFreshWorker(spec, [...args]), here);
  });
}

test("electrons rebuilt from inside a value are electrons again, and data stays data", async () => {
  const rebuilt = await rebuildElectron(json(serializeElectron(fixtures.useContainers)));
  assert.deepEqual(await rebuilt.run(2), [9, 20, 3, true]);
  assert.deepEqual(await fixtures.useCycles.run(), { sameShared: true, selfIsSelf: true, applied: 8 });
});

test("modules held in values travel as imports by specifier, not by value", () => {
  const bindings = serializeElectron(fixtures.useModules).functions[0]!.bindings;
  assert.deepEqual(bindings.pathModule, { kind: "import", specifier: "node:path", export: "=" });
  assert.equal(bindings.modules!.kind, "structure");
  const holes = bindings.modules!.kind === "structure" ? bindings.modules!.holes : [];
  assert.deepEqual(
    holes.map((h) => [h.path, h.binding]),
    [
      [["path"], { kind: "import", specifier: "node:path", export: "=" }],
      [
        ["helper"],
        { kind: "import", specifier: new URL("../fixtures/helper-module.mjs", import.meta.url).href, export: "*" },
      ],
    ],
  );
  assert.deepEqual(serializeElectron(fixtures.usePackage).functions[0]!.bindings.packageItself, {
    kind: "import",
    specifier: "valence-workflows",
    export: "*",
  });
});

test("a lattice taken from an array works as a sublattice once rebuilt", async () => {
  const rebuilt = await rebuildLattice(json(serializeLattice(fixtures.useSublattice)));
  const graph = rebuilt.build(3).toJSON();
  assert.deepEqual(
    graph.nodes.map((n) => [n.kind, n.name]),
    [
      ["parameter", "3"],
      ["sublattice", "squares"],
    ],
  );
  assert.deepEqual(await ct.runLocal(rebuilt)(3), [0, 1, 4]);
});

test("a symbol inside an array still cannot travel, and the message names its path", () => {
  assert.throws(() => serializeElectron(fixtures.usesSymbolInArray), {
    code: "NOT_SERIALIZABLE",
    message:
      /electron "usesSymbolInArray" cannot be sent: variable "withSymbol" used by "usesSymbolInArray" holds a symbol at withSymbol\[1\], which cannot travel/,
  });
});

test("a module namespace whose specifier cannot be known fails, naming the variable", async () => {
  const url = "data:text/javascript,export const x = 1;";
  const unknown = (await import(url)) as { x: number };
  const held = { unknown };
  const useUnknown = ct.electron(function useUnknown() {
    return held.unknown.x;
  });
  assert.throws(() => serializeElectron(useUnknown), {
    code: "NOT_SERIALIZABLE",
    message: /variable "held" used by "useUnknown" holds a module at held\.unknown whose specifier Valence cannot tell/,
  });
});

test("plain data still travels as a plain value: specs stored by older versions keep their shape", () => {
  const data = { n: 1, list: [1, 2] };
  const useData = ct.electron(function useData() {
    return data.n;
  });
  assert.equal(serializeElectron(useData).functions[0]!.bindings.data!.kind, "value");
});

test("holes in Map keys, Set items, sparse arrays and a __proto__ key go back where they were, in order", async () => {
  const { withHoles, fillHoles } = await import("#src/workflow/serialize/structure.js");
  const { serialize, deserialize } = await import("node:v8");
  const [f, g] = [() => 1, () => 2];
  const sparse: unknown[] = [];
  sparse[3] = f;
  const proto = JSON.parse('{"__proto__": 1}') as Record<string, unknown>;
  proto.__proto__ = g;
  const value = {
    map: new Map<unknown, unknown>([
      [f, "a"],
      ["b", g],
      [g, f],
    ]),
    set: new Set([1, f, 2, g]),
    sparse,
    proto,
  };
  const { data, holes } = withHoles(value, "value", (item) =>
    typeof item === "function" ? { kind: "function", fn: item === f ? 0 : 1 } : undefined,
  );
  assert.equal(holes.length, 8);
  const copy = deserialize(serialize(data)) as typeof value;
  const rebuilt = fillHoles(
    copy,
    holes,
    holes.map((h) => (h.binding.kind === "function" && h.binding.fn === 0 ? f : g)),
  ) as typeof value;
  assert.deepEqual([...rebuilt.map], [...value.map]);
  assert.deepEqual([...rebuilt.set], [...value.set]);
  assert.equal(rebuilt.sparse.length, 4);
  assert.equal(1 in rebuilt.sparse, false);
  assert.equal(rebuilt.sparse[3], f);
  assert.equal(Object.getPrototypeOf(rebuilt.proto), Object.prototype);
  assert.equal(Object.getOwnPropertyDescriptor(rebuilt.proto, "__proto__")!.value, g);
});
