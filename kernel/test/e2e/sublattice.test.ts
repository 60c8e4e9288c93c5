import { test } from "node:test";
import assert from "node:assert/strict";
import * as ct from "valence-workflows";
import { useDispatcher } from "../support/dispatcher.ts";

useDispatcher();

const howMany = ct.electron(function howMany(seed: number) {
  return seed % 5;
});
const square = ct.electron(function square(x: number) {
  return x * x;
});
// Result-dependent control flow: the loop's length is known only when howMany has run.
const squares = ct.electron(
  ct.lattice(function squares(n: number) {
    return Array.from({ length: n }, (_, i) => square(i));
  }),
);
const dynamic = ct.lattice(function dynamic(seed: number) {
  return squares(howMany(seed));
});

test("a sublattice is built at run time with the real inputs and runs as a child dispatch", async () => {
  const result = await ct.dispatchSync(dynamic)(14);
  assert.equal(result.status, "COMPLETED", String(result));
  assert.deepEqual(result.result, [0, 1, 4, 9]);
  const children = (await ct.listDispatches()).filter((d) => d.parentId === result.dispatchId);
  assert.equal(children.length, 1);
  assert.deepEqual(
    [children[0]!.latticeName, children[0]!.parentNode, children[0]!.status],
    ["squares", 2, "COMPLETED"],
  );
  const child = await ct.getResult<number[]>(children[0]!.id);
  assert.equal(child.nodes.filter((n) => n.status === "COMPLETED").length, 8, "4 squares and their 4 parameters");
});

test("a failing electron inside a sublattice fails the parent node with the child's error", async () => {
  const explode = ct.electron(function explode(n: number): number {
    throw new Error(`cannot handle ${n}`);
  });
  const inner = ct.electron(ct.lattice((n: number) => explode(n), { name: "inner" }));
  const result = await ct.dispatchSync(ct.lattice((n: number) => inner(n), { name: "outer" }))(3);
  assert.equal(result.status, "FAILED");
  assert.match(
    result.error!.message,
    /sublattice "inner" \(node 1\) failed: sublattice "inner" \(dispatch [0-9a-f-]+\) failed: electron "explode" \(node 1\) failed: cannot handle 3/,
  );
});

test("a sublattice whose electron asks for more CPUs than there are fails its node, naming the sublattice", async () => {
  const greedy = ct.electron(
    function greedy(n: number) {
      return n;
    },
    { resources: { cpus: 1000 } },
  );
  const tooBig = ct.electron(
    ct.lattice(function tooBig(n: number) {
      return greedy(n);
    }),
  );
  const wf = ct.lattice(function holdsTooBig(n: number) {
    return tooBig(n);
  });
  const result = await ct.dispatchSync(wf)(3);
  assert.equal(result.status, "FAILED", String(result));
  const node = result.nodes.find((n) => n.status === "FAILED")!;
  assert.equal(node.error?.name, "DispatchRejected");
  assert.match(
    node.error?.message ?? "",
    /^sublattice "tooBig" was refused at dispatch: electron "greedy" \(node \d+\) needs 1000 CPUs but executor "local" has \d+/,
  );
  const children = (await ct.listDispatches()).filter((d) => d.parentId === result.dispatchId);
  assert.deepEqual(children, [], "no child dispatch is stored");
});
