import { test } from "node:test";
import assert from "node:assert/strict";
import { serializeFunction, rebuildFunction } from "#src/workflow/serialize/index.js";
import * as fixtures from "../fixtures/plain-functions.ts";

async function roundTrip<F>(fn: F): Promise<F> {
  const spec = JSON.parse(JSON.stringify(serializeFunction(fn as () => unknown)));
  return (await rebuildFunction(spec)) as F;
}

test("a module bound with const x = require(...) travels by specifier and is required again", async () => {
  const spec = serializeFunction(fixtures.usesRequire);
  assert.deepEqual(spec.functions[0]!.bindings.os, { kind: "import", specifier: "node:os", export: "=" });
  assert.equal((await roundTrip(fixtures.usesRequire))(), "string");
});

test("method shorthand and async generator methods rebuild as functions", async () => {
  const triple = await roundTrip(fixtures.shorthand.triple);
  assert.equal(triple(5), 15);
  const countTo = await roundTrip(fixtures.shorthand.countTo);
  const seen: number[] = [];
  for await (const i of countTo(3)) seen.push(i);
  assert.deepEqual(seen, [1, 2, 3]);
});

test("a rebuilt function keeps the name it had, and functions it uses travel with theirs", async () => {
  const named = await roundTrip(fixtures.named);
  assert.equal(named.name, "named");
  const scaled = named();
  assert.equal(scaled.name, "scaled");
  assert.equal(scaled(14n), 42n);
});

test("sources compiled by tsx/esbuild that call __name rebuild and run", async () => {
  assert.equal((await roundTrip(fixtures.esbuildStyle))(), "inner1");
});

test("serializing the same function again reuses its analysis and gives the same spec", () => {
  const first = JSON.stringify(serializeFunction(fixtures.named));
  const start = process.hrtime.bigint();
  for (let i = 0; i < 200; i++) assert.equal(JSON.stringify(serializeFunction(fixtures.named)), first);
  const perCallUs = Number(process.hrtime.bigint() - start) / 200 / 1000;
  assert.ok(perCallUs < 5000, `took ${perCallUs} µs per serialization`);
});
