import { test } from "node:test";
import assert from "node:assert/strict";
import * as ct from "valence-workflows";

const count = ct.electron(function count(): number {
  return 3;
});
const list = ct.electron(function list(): number[] {
  return [1, 2];
});

function buildError(body: () => unknown): ct.WorkflowError {
  try {
    ct.lattice(body, { name: "flow" }).build();
  } catch (error) {
    return error as ct.WorkflowError;
  }
  assert.fail("the build did not throw");
}

test("calling an electron outside a lattice points to .run, which executes directly", () => {
  assert.throws(() => count(), {
    code: "ELECTRON_OUTSIDE_LATTICE",
    message: /electron "count" was called outside a lattice.*count\.run\(\.\.\.args\)/,
  });
  assert.equal(count.run(), 3);
});

for (const [what, body] of [
  // @ts-expect-error TypeScript refuses a future in a comparison too; the message is for JavaScript users.
  ["a comparison", () => (count() > 3 ? count() : count())],
  ["arithmetic", () => (count() as unknown as number) + 1],
  ["a template string", () => `${String(count())}`],
] as const) {
  test(`using a future in ${what} names the electron and says to move the logic into an electron or sublattice`, () => {
    const error = buildError(body);
    assert.equal(error.code, "FUTURE_MISUSE");
    assert.match(error.message, /In lattice "flow", the output of "count" \(node 0\) was used as a plain value/);
    assert.match(error.message, /Move this logic into an electron, or into a sublattice/);
  });
}

test("awaiting a future is refused with advice", () => {
  const error = buildError(() => {
    const f = count();
    void (f as unknown as PromiseLike<number>).then;
    return f;
  });
  assert.equal(error.code, "FUTURE_MISUSE");
  assert.match(error.message, /"count" \(node 0\) was awaited.*not promises/);
});

test("calling a method on a future names the path", () => {
  const error = buildError(() => (list() as unknown as { map(f: unknown): unknown }).map(String));
  assert.match(error.message, /list\(…\)\.map \(node 1\) was called as a function/);
});

test("for…of or spread over a future without a declared length is refused", () => {
  const error = buildError(() => [...(list() as unknown as number[])]);
  assert.equal(error.code, "UNBOUNDED_ITERATION");
  assert.match(error.message, /"list" \(node 0\) was iterated.*outputLength: n/);
});

test("a lattice that returns nothing, or is async, is refused", () => {
  assert.equal(buildError(() => void count()).code, "LATTICE_RETURNED_NOTHING");
  assert.match(buildError(() => void count()).message, /lattice "flow" returned nothing/);
  assert.equal(buildError(async () => count()).code, "LATTICE_ASYNC");
});

test("futures cannot be used after their dry run ended or in another lattice", () => {
  let leaked: unknown;
  ct.lattice(function leak() {
    leaked = list();
    return leaked;
  }).build();
  assert.throws(() => (leaked as number[])[0], { code: "FUTURE_OUTSIDE_BUILD" });
  const take = ct.electron(function take(x: unknown) {
    return x;
  });
  assert.match(buildError(() => take(leaked)).message, /a future from another lattice's dry run \("leak"\)/);
});

test("JSON.stringify and assignment on a future are refused", () => {
  assert.match(buildError(() => JSON.stringify(count())).message, /was turned into JSON/);
  assert.match(
    buildError(() => {
      const f = count() as unknown as { x: number };
      f.x = 1;
      return f;
    }).message,
    /was assigned to \(property x\)/,
  );
});

test("bad options fail at definition, naming the electron and suggesting the right option", () => {
  assert.throws(() => ct.electron(function f() {}, { retry: 2 } as ct.ElectronOptions), {
    code: "INVALID_OPTIONS",
    message: 'electron "f": unknown option "retry" (did you mean "retries"?)',
  });
  assert.throws(
    () => ct.electron(function f() {}, { retries: -1 }),
    /electron "f": options\.retries: must be >= 0 \(got -1\)/,
  );
  assert.throws(() => ct.electron(function f() {}, { resources: { gpus: 0.5 } }), /options\.resources\.gpus/);
  assert.throws(() => ct.lattice(function wf() {}, { executor: "" }), /lattice "wf": options\.executor/);
});

test("options checked by options.schema.json: hooks must be functions, deps.npm entries must be specs, and undefined means not given", () => {
  assert.throws(
    () => ct.electron(function f() {}, { callBefore: "setup" as unknown as ct.Hook }),
    /electron "f": options\.callBefore: must be a function or an array of functions/,
  );
  assert.throws(
    () => ct.electron(function f() {}, { deps: { npm: ["is-number@7.0.0", "-rf"] }, retries: undefined }),
    /electron "f": options\.deps\.npm\[1\]: /,
  );
  assert.throws(
    () => ct.electron(function f() {}, { resources: { cpus: 0 } }),
    /electron "f": options\.resources\.cpus: must be > 0 \(got 0\)/,
  );
  // Not plainly valid (an object without a prototype), valid by the schema: accepted, as a copy.
  const options = Object.assign(Object.create(null) as ct.ElectronOptions, { retries: 2, timeoutMs: undefined });
  const defined = ct.electron(function g() {}, options);
  assert.equal(defined.options.retries, 2);
  assert.ok(!("timeoutMs" in defined.options), "an option set to undefined is not given");
});
