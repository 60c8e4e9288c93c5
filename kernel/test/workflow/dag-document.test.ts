import { test } from "node:test";
import assert from "node:assert/strict";
import { Ajv } from "ajv";
import * as ct from "valence-workflows";
import { dagSchema } from "@valence/schema";

const validate = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(dagSchema);

function assertValid(document: unknown): void {
  assert.ok(validate(document), JSON.stringify(validate.errors, null, 2));
}

const load = ct.electron(
  function load(): { rows: number[] } {
    return { rows: [1, 2] };
  },
  { retries: 1, timeoutMs: 500, deps: { npm: ["lodash"] }, callBefore: [function warmUp() {}], executor: "local" },
);
const sum = ct.electron(function sum(xs: number[], opts: { scale: number }) {
  return xs.reduce((a, b) => a + b, 0) * opts.scale;
});

test("every kind of node and edge exports to a document valid against dag.schema.json", () => {
  const inner = ct.lattice(function inner(x: number) {
    return sum([x], { scale: 1 });
  });
  const sub = ct.electron(inner);
  const graph = ct
    .lattice(function everything(scale: number) {
      const data = load();
      const total = sum([data.rows[0]!, data.rows[1]!, scale], { scale: data.rows[0]! });
      const later = ct.wait(sub(total), data);
      return { total, later, note: "done", big: new Map([[1, "x".repeat(500)]]) };
    })
    .build(2);
  const document = graph.toJSON();
  assertValid(document);
  assert.deepEqual(
    new Set(document.nodes.map((n) => n.kind)),
    new Set(["electron", "parameter", "list", "dict", "getitem", "getattr", "sublattice"]),
  );
  assert.deepEqual(document.nodes[0]!.options, {
    executor: "local",
    retries: 1,
    timeoutMs: 500,
    deps: { npm: ["lodash"] },
    callBefore: ["warmUp"],
  });
  assert.ok(document.edges.some((e) => e.kind === "wait"));
  assert.deepEqual(document.lattice, { name: "everything", inputs: [{ type: "number", preview: "2" }] });
});

test("parameter previews are short and name the value's type, whatever its size", () => {
  const graph = ct
    .lattice(function big(values: number[]) {
      return sum(values, { scale: 1 });
    })
    .build(Array.from({ length: 100_000 }, (_, i) => i));
  const document = graph.toJSON();
  assertValid(document);
  const parameter = document.nodes.find((n) => n.kind === "parameter")!;
  assert.equal(parameter.value!.type, "Array");
  assert.ok(parameter.value!.preview.length <= 160);
  assert.ok(parameter.name.length <= 40);
});

test("the seed example's document is valid and JSON round-trips unchanged", () => {
  const prepare = ct.electron(function prepareData() {
    return 1;
  });
  const process = ct.electron(function processData(x: number) {
    return x + 1;
  });
  const document = ct
    .lattice(function dataProcessing(n: number) {
      return Array.from({ length: n }, () => process(prepare()));
    })
    .build(10)
    .toJSON();
  assertValid(document);
  assert.deepEqual(JSON.parse(JSON.stringify(document)), document);
});

test("a graph displays as the DAG MIME bundle with a text summary", () => {
  const graph = ct
    .lattice(function shown() {
      return load();
    })
    .draw();
  const bundle = (graph as unknown as Record<symbol, () => Record<string, unknown>>)[Symbol.for("Jupyter.display")]!();
  assertValid(bundle[ct.DAG_MIME_TYPE]);
  assert.equal(bundle["text/plain"], 'Lattice "shown": 1 task (load), 0 parameter/helper nodes, 0 edges');
});
