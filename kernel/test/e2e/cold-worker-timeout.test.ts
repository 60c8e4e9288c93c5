// What a user did: an electron that returns at once, with `timeoutMs: 300`, as the first task of a
// fresh dispatcher. Its worker thread had to start and load Valence before running it, and that time
// counted against the task: it timed out on every attempt. The timeout counts the task's own run.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as ct from "valence-workflows";
import { LocalExecutor } from "#src/executors/index.js";
import { useDispatcher } from "../support/dispatcher.ts";

useDispatcher({ executors: { local: new LocalExecutor({ maxWorkers: 2 }) } });

const quick = ct.electron(
  function quick(x: number) {
    return { x, node: ct.taskContext().nodeId };
  },
  { timeoutMs: 300, retries: 1 },
);

test("an instant electron with timeoutMs 300 completes in one attempt on a cold local worker", async () => {
  const wf = ct.lattice(function coldStart() {
    return [quick(1), quick(2)];
  });
  const result = await ct.dispatchSync(wf)();
  assert.equal(result.status, "COMPLETED", String(result));
  assert.deepEqual(
    result.nodes.filter((n) => n.attempts > 0).map((n) => n.attempts),
    [1, 1],
  );
});
