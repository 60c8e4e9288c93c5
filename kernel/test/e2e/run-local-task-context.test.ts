// A user tries a lattice with runLocal before dispatching it; its electrons read ct.taskContext() (to
// name a file after their attempt, to know their node). Under runLocal that used to throw "only
// available inside an electron run by a dispatcher's executor", so every such electron failed there
// and nowhere else.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as ct from "valence-workflows";

test("an electron that reads taskContext() runs under runLocal: its node, each attempt, and one run id", async () => {
  const seen: ct.TaskContext[] = [];
  const flaky = ct.electron(
    function flaky(x: number) {
      const context = ct.taskContext();
      seen.push(context);
      if (context.attempt < 2) throw new Error(`attempt ${context.attempt} fails`);
      return x + context.attempt;
    },
    { retries: 1 },
  );
  const where = ct.electron(function where() {
    const { dispatchId, nodeId, attempt } = ct.taskContext();
    return { dispatchId, nodeId, attempt };
  });
  const wf = ct.lattice(function tried(n: number) {
    return { sum: flaky(n), at: where() };
  });
  const graph = wf.build(1);
  const flakyNode = graph.nodes.find((n) => n.name === "flaky")!.id;
  const whereNode = graph.nodes.find((n) => n.name === "where")!.id;

  const result = await ct.runLocal(wf)(1);
  assert.equal(result.sum, 3);
  assert.deepEqual(
    seen.map((c) => [c.nodeId, c.attempt]),
    [
      [flakyNode, 1],
      [flakyNode, 2],
    ],
  );
  assert.equal(result.at.nodeId, whereNode);
  assert.equal(result.at.attempt, 1);
  assert.ok(seen.every((c) => c.dispatchId === result.at.dispatchId && c.volume === undefined));
  // A second run is another run.
  const again = await ct.runLocal(wf)(1);
  assert.notEqual(again.at.dispatchId, result.at.dispatchId);
  assert.throws(() => ct.taskContext(), /only available inside an electron/);
});
