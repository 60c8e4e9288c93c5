import { test } from "node:test";
import assert from "node:assert/strict";
import * as ct from "valence-workflows";

const step = ct.electron(function step(x: number) {
  return x;
});

test("wait(child, parents) adds ordering edges without data and returns the child", () => {
  const graph = ct
    .lattice(function ordered() {
      const setup = step(1);
      const other = step(2);
      const load = ct.wait(step(3), [setup, other]);
      return load;
    })
    .build();
  const waits = graph.edges.filter((e) => e.kind === "wait");
  assert.deepEqual(
    waits.map((e) => [graph.node(e.source).id, graph.node(e.target).id]),
    [
      [1, 5],
      [3, 5],
    ],
  );
  assert.deepEqual(graph.output, { kind: "future", node: 5 });
  assert.deepEqual(graph.inputsOf(5).waitFor, [1, 3]);
});

test("cycles are impossible: data edges always point to a later node, and wait refuses to close a loop", () => {
  const graph = ct
    .lattice(function many(n: number) {
      let x = step(0);
      for (let i = 0; i < n; i++) x = step(x);
      return [x, step(x)];
    })
    .build(50);
  for (const edge of graph.edges) assert.ok(edge.source < edge.target, `edge ${edge.source}→${edge.target}`);

  assert.throws(
    () =>
      ct
        .lattice(function loop() {
          const a = step(1);
          const b = step(a);
          ct.wait(a, b);
          return b;
        })
        .build(),
    (error: ct.WorkflowError) =>
      error.code === "WAIT_CYCLE" && /"step" \(node 2\) already depends on "step" \(node 1\)/.test(error.message),
  );
  assert.throws(
    () =>
      ct
        .lattice(function self() {
          const a = step(1);
          return ct.wait(a, a);
        })
        .build(),
    { code: "WAIT_CYCLE" },
  );
});

test("wait between independent nodes created in any order is allowed", () => {
  const graph = ct
    .lattice(function laterParent() {
      const first = step(1);
      const second = step(2);
      return ct.wait(first, second);
    })
    .build();
  assert.equal(graph.edges.filter((e) => e.kind === "wait").length, 1);
});
