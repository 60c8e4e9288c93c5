// The recorder writes a commit's events as one block of JSON text: made from the messages when
// someone listens, else straight from its columns. Both texts must be the same, field for field.
// A node that changes twice before a commit has one event, with its latest state.
import { test } from "node:test";
import assert from "node:assert/strict";
import { RunRecorder } from "#src/dispatcher/run-recorder.js";
import { NodeTable, COMPLETED, FAILED, RUNNING, PENDING } from "#src/dispatcher/node-table.js";
import { OutputCache } from "#src/dispatcher/output-cache.js";
import type { StoreWriter } from "#src/dispatcher/store/store.js";

/** Records the same changes in a fresh recorder and returns what a commit writes. */
function commit(messages: boolean): { blocks: Array<{ first: number; count: number; text: string }>; sent: unknown[] } {
  const table = new NodeTable(4);
  const outputs = new OutputCache(4, () => 1);
  const recorder = new RunRecorder('d"1', table, outputs, 7, () => undefined);
  const preview = { type: "number", preview: "0" };
  recorder.dispatch({ id: 'd"1', latticeName: "flow", status: "RUNNING", createdAt: 1, startedAt: 2 });
  table.status[0] = RUNNING;
  table.attempts[0] = 1;
  table.startedAt[0] = 1_733_000_000_000.5;
  recorder.node(0);
  table.status[0] = COMPLETED;
  table.endedAt[0] = 1_733_000_000_001;
  outputs.set(0, Uint8Array.of(1));
  recorder.node(0, { preview, cacheKey: "k", sharedKey: false });
  table.status[1] = FAILED;
  table.attempts[1] = 2;
  table.errors.set(1, { name: "Error", message: 'bad "quote"\n', stack: "at x" });
  table.reused[2] = 1;
  recorder.node(1);
  table.status[2] = COMPLETED;
  recorder.node(2, { preview, cacheKey: undefined, sharedKey: false });
  table.setPlace(3, { host: "h", pid: 3, id: "w" }, 12.5);
  table.setWaiting(3, "no worker with 1 GPU");
  table.status[3] = PENDING;
  recorder.node(3);
  recorder.dispatch({
    id: 'd"1',
    latticeName: "flow",
    status: "FAILED",
    createdAt: 1,
    startedAt: 2,
    endedAt: 3,
    error: { name: "TaskFailed", message: "m" },
  });
  const blocks: Array<{ first: number; count: number; text: string }> = [];
  const writer = {
    patchDispatch: () => undefined,
    nodeState: () => undefined,
    eventBlock: (_id: string, first: number, count: number, text: string) => blocks.push({ first, count, text }),
  } as unknown as StoreWriter;
  const sent = recorder.write(writer, messages);
  return { blocks, sent };
}

test("an event block's text is the same whether or not anyone listens", () => {
  const listened = commit(true);
  const quiet = commit(false);
  assert.equal(quiet.sent.length, 0);
  assert.equal(listened.sent.length, 6, "node 0 started and completed in one commit: one event");
  assert.deepEqual(quiet.blocks, listened.blocks);
  assert.equal(listened.blocks[0]!.text, JSON.stringify(listened.sent));
  assert.deepEqual(
    listened.blocks.map((b) => [b.first, b.count]),
    [[8, 6]],
  );
  const node0 = listened.sent.filter((m) => (m as { node?: { id: number } }).node?.id === 0);
  assert.equal(node0.length, 1);
  assert.deepEqual((node0[0] as { node: unknown }).node, {
    id: 0,
    status: "COMPLETED",
    attempts: 1,
    startedAt: 1_733_000_000_000.5,
    endedAt: 1_733_000_000_001,
    output: { type: "number", preview: "0" },
  });
});

test("a change after a commit is a new event; a retried node's event loses its old error", () => {
  const table = new NodeTable(2);
  const outputs = new OutputCache(2, () => 1);
  const recorder = new RunRecorder("d", table, outputs, 0, () => undefined);
  const sent: unknown[][] = [];
  const write = (): void => {
    const writer = { patchDispatch: () => undefined, nodeState: () => undefined, eventBlock: () => undefined };
    sent.push(recorder.write(writer as unknown as StoreWriter, true));
    recorder.committed();
  };
  table.status[0] = RUNNING;
  table.attempts[0] = 1;
  recorder.node(0);
  write();
  table.status[0] = FAILED;
  table.errors.set(0, { name: "Error", message: "first attempt" });
  recorder.node(0);
  table.status[1] = RUNNING;
  recorder.node(1);
  table.status[0] = RUNNING;
  table.attempts[0] = 2;
  table.errors.delete(0);
  recorder.node(0);
  write();
  const nodes = sent.map((messages) => messages.map((m) => (m as { seq: number; node: object }).node));
  assert.deepEqual(nodes, [
    [{ id: 0, status: "RUNNING", attempts: 1 }],
    [
      { id: 0, status: "RUNNING", attempts: 2 },
      { id: 1, status: "RUNNING", attempts: 0 },
    ],
  ]);
  assert.deepEqual(
    sent.flat().map((m) => (m as { seq: number }).seq),
    [1, 2, 3],
  );
});
