// A user follows a dispatch live (a notebook's DAG, `valence run`'s progress) while a task fails and
// the task waiting on it is cancelled. On the local executor the three steps of a chain go to one
// worker at once; the step after the failed one never ran, yet its live updates (and the stored events
// a reconnecting client replays) said it had made one attempt, while its Result said none.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as ct from "valence-workflows";
import type { NodeState } from "@valence/schema";
import { connect } from "#src/client/connection.js";
import { watchDispatch } from "#src/client/watch.js";
import { LocalExecutor } from "#src/executors/index.js";
import { useDispatcher } from "../support/dispatcher.ts";

useDispatcher({ executors: { local: new LocalExecutor({ maxWorkers: 2 }) } });

const load = ct.electron(async function load() {
  await new Promise((resolve) => setTimeout(resolve, 300)); // long enough to be watched from the start
  return 1;
});
const check = ct.electron(function check(x: number): number {
  throw new Error(`bad input ${x}`);
});
const report = ct.electron(function report(x: number) {
  return x;
});
const pipeline = ct.lattice(function pipeline() {
  return report(check(load()));
});

test("watching a dispatch live: the task after a failed one ends cancelled with no attempt, as in its Result", async () => {
  const dispatch = await ct.dispatch(pipeline)();
  const live = new Map<number, NodeState>();
  await watchDispatch(await connect(), dispatch.id, (message) => {
    if (message.type === "snapshot") for (const node of message.nodes) live.set(node.id, node);
    else if (message.type === "update" && message.node) live.set(message.node.id, message.node);
  }).done;
  const result = await ct.getResult(dispatch, { wait: true });
  assert.equal(result.status, "FAILED");
  const reportNode = pipeline.build().nodes.find((n) => n.name === "report")!.id;
  assert.deepEqual(
    result.nodes.find((n) => n.id === reportNode),
    { id: reportNode, status: "CANCELLED", attempts: 0 },
    "the Result",
  );
  for (const node of result.nodes) assert.deepEqual(live.get(node.id), node, `node ${node.id} as last seen live`);
});
