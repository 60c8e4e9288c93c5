import { test } from "node:test";
import assert from "node:assert/strict";
import * as ct from "valence-workflows";
import { useDispatcher } from "../support/dispatcher.ts";
import { useContainers, useModules, usePackage, useSublattice } from "../fixtures/held-values.ts";

useDispatcher();

const clean = ct.electron(function clean(x: number) {
  return x + 1;
});
const train = ct.electron(function train(x: number) {
  return x * 10;
});
const steps = [clean, train];

function pipelineBody(x: number) {
  let value: ReturnType<typeof clean> | number = x;
  for (let i = 0; i < steps.length; i++) value = steps[i]!(value as number);
  return value;
}

for (const executor of ["local", "inline"]) {
  test(`a lattice that calls steps[i](x) with const steps = [clean, train] dispatches and completes (${executor} executor)`, async () => {
    const pipeline = ct.lattice(pipelineBody, { name: "pipeline", executor });
    const result = await ct.dispatchSync(pipeline)(4);
    assert.equal(result.status, "COMPLETED", String(result));
    assert.equal(result.result, 50);
    const nodes = await Promise.all(result.nodes.map((_, i) => result.getNodeResult(i)));
    assert.deepEqual(
      nodes.map((n) => [n.name, n.status]),
      [
        ["4", "COMPLETED"],
        ["clean", "COMPLETED"],
        ["train", "COMPLETED"],
      ],
    );
    // Rebuilt from the stored lattice: the array's electrons are electrons there too.
    const again = await ct.getResult(await ct.redispatch(result.dispatchId)(5), { wait: true });
    assert.equal(again.result, 60, String(again));
  });
}

test("electrons held in an object, a Map and a Set, and modules held in variables, run in a dispatched lattice", async () => {
  const flow = ct.lattice(
    function held(x: number, file: string) {
      return [useContainers(x), useModules(file), usePackage()];
    },
    { name: "held" },
  );
  const result = await ct.dispatchSync(flow)(2, "/a/b.txt");
  assert.equal(result.status, "COMPLETED", String(result));
  assert.deepEqual(result.result, [
    [9, 20, 3, true],
    ["b.txt", ".txt", "HI!"],
    ["function", "function"],
  ]);
});

test("a lattice taken from an array and used as a sublattice runs as a child dispatch", async () => {
  const result = await ct.dispatchSync(useSublattice)(4);
  assert.equal(result.status, "COMPLETED", String(result));
  assert.deepEqual(result.result, [0, 1, 4, 9]);
});
