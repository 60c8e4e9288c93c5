// A sublattice that contains itself (recursion without a base case) once made child dispatches without
// end: the long hostile fuzz run (issue 18) saw thousands nested and running, the dispatcher's RSS at
// 1.9 GB and climbing within three minutes. Sublattices nest at most MAX_SUBLATTICE_DEPTH deep: the
// one below fails, and with it every dispatch above.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as ct from "valence-workflows";
import { MAX_SUBLATTICE_DEPTH } from "#src/dispatcher/engine.js";
import { useDispatcher } from "../support/dispatcher.ts";

const dispatcher = useDispatcher();

const endless = ct.lattice(function endless(x: number): ct.Future<number> {
  return again(x);
});
const again = ct.electron(endless);

const add = ct.electron(function add(a: number, b: number) {
  return a + b;
});
// Recursion that ends is still fine.
const countdown = ct.lattice(function countdown(n: number): ct.Future<number> {
  return n <= 0 ? add(0, 0) : down(n - 1);
});
const down = ct.electron(countdown);

test("a sublattice that contains itself fails at the depth limit instead of nesting without end", async () => {
  const id = await ct.dispatch(endless)(1);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<"late">((resolve) => (timer = setTimeout(() => resolve("late"), 60_000)));
  const result = await Promise.race([ct.getResult(id, { wait: true }), late]).finally(() => clearTimeout(timer));
  if (result === "late") {
    await ct.cancel(id); // stops the chain, so the test ends
    assert.fail(`still nesting after 60 s: ${dispatcher.current().engine.running} dispatches running`);
  }
  assert.equal(result.status, "FAILED");
  assert.match(JSON.stringify(result.error), /nested more than \d+ deep/);
  const engine = dispatcher.current().engine;
  assert.equal(engine.running, 0, "every dispatch of the chain ended");
  const all = engine.list({ limit: 1000 }).filter((d) => d.latticeName === "endless");
  assert.ok(all.length <= MAX_SUBLATTICE_DEPTH + 1, `${all.length} dispatches of endless`);
  assert.ok(all.every((d) => d.status === "FAILED"));
});

test("recursion through sublattices that ends within the limit completes", async () => {
  const result = await ct.dispatchSync(countdown)(5);
  assert.equal(result.status, "COMPLETED", JSON.stringify(result.error));
  assert.equal(result.result, 0);
});
