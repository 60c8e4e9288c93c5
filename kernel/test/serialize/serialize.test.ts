import { test } from "node:test";
import assert from "node:assert/strict";
import * as ct from "valence-workflows";
import { serializeElectron, serializeLattice, rebuildElectron, rebuildLattice } from "#src/workflow/serialize/index.js";
import * as fixtures from "../fixtures/closures.ts";
import { runInFreshWorker } from "../support/fresh-worker.ts";

const sameInWorker = [
  ["data closed over at script level", fixtures.useTable, ["a"]],
  ["imports: a builtin by specifier and a relative module by URL", fixtures.useImports, ["/x/y/file.txt"]],
  ["helper functions, mutual recursion and self-recursion", fixtures.useRecursion, [10]],
  ["Map, Set, Date, BigInt and typed arrays", fixtures.useRichData, []],
  ["another electron", fixtures.useElectron, [4]],
  ["an arrow function", fixtures.arrowElectron, [7]],
] as const;

for (const [what, electron, args] of sameInWorker) {
  test(`an electron using ${what} rebuilds in a fresh worker thread and returns what it returns here`, async () => {
    const spec = serializeElectron(electron);
    const here = await (electron.run as (...a: unknown[]) => unknown)(...args);
    assert.deepEqual(await runInFreshWorker(spec, [...args]), here);
  });
}

test("specs are JSON: they survive a round trip unchanged", () => {
  const spec = serializeElectron(fixtures.useRecursion);
  assert.deepEqual(JSON.parse(JSON.stringify(spec)), spec);
  const names = spec.functions.map((f) => f.name);
  assert.deepEqual(names.sort(), ["fib", "isEven", "isOdd", "useRecursion"]);
});

test("hooks and options travel with the electron", async () => {
  const spec = serializeElectron(fixtures.withHooks);
  assert.equal(spec.electron.options.retries, 1);
  assert.equal(spec.electron.callBefore.length, 1);
  const rebuilt = await rebuildElectron(spec);
  assert.equal(rebuilt.electronName, "withHooks");
  assert.equal(rebuilt.options.retries, 1);
  assert.equal((rebuilt.options.callBefore as unknown[]).length, 1);
});

test("a lattice rebuilds without its source and builds the same graph", async () => {
  const wf = ct.lattice(function wf(n: number) {
    return Array.from({ length: n }, (_, i) => fixtures.useTable(i % 2 ? "a" : "b"));
  });
  const rebuilt = await rebuildLattice(JSON.parse(JSON.stringify(serializeLattice(wf))));
  assert.deepEqual(rebuilt.build(4).toJSON(), wf.build(4).toJSON());
});

test("a built-in function inside data fails with the variable, the path and the reason named", () => {
  assert.throws(() => serializeElectron(fixtures.usesFunctionInData), {
    code: "NOT_SERIALIZABLE",
    message:
      /electron "usesFunctionInData" cannot be sent: variable "config" used by "usesFunctionInData" holds a function at config\.handler, which cannot travel: it is a built-in or bound function/,
  });
});

test("a symbol or a built-in function cannot travel, and the message says which", () => {
  assert.throws(
    () => serializeElectron(fixtures.usesSymbol),
    /variable "marker" used by "usesSymbol" holds a symbol at marker/,
  );
  assert.throws(
    () => serializeElectron(fixtures.usesNative),
    /function "max" it is a built-in or bound function|function "max" .*built-in/,
  );
});

test("a variable not initialized yet fails, naming it; once initialized it travels", () => {
  assert.match(
    (fixtures.earlyError as Error).message,
    /electron "usesLater" cannot be sent: variable "later" used by "usesLater" is not initialized yet/,
  );
  assert.equal(serializeElectron(fixtures.usesLater).functions[0]!.bindings.later!.kind, "value");
});

test("a function with free variables that was not instrumented fails with the loader hint", () => {
  // Built with the Function constructor: no loader saw it.
  const make = new Function("ct", "const secret = 42; return ct.electron(function leaky() { return secret; });");
  const leaky = make(ct) as ct.Electron<[], number>;
  assert.throws(() => serializeElectron(leaky), {
    code: "NOT_SERIALIZABLE",
    message:
      /function "leaky" uses "secret" from its surroundings, but this code was not loaded through Valence's loader\. Run the script with `valence run file\.ts`/,
  });
  const clean = new Function("ct", "return ct.electron(function clean(x) { return Math.max(x, 1); });")(
    ct,
  ) as ct.Electron<[number], number>;
  assert.doesNotThrow(() => serializeElectron(clean), "globals need no capture");
});
