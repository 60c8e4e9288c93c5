// Node states as columns (?nodes=columns, node-columns.ts): for real dispatches with completed,
// failed, cancelled, pending, reused nodes and output previews, and for rows and states no dispatch
// here makes (workers, gaps in node ids, odd times, unknown statuses), the columns decoded give exactly
// the NodeState objects of the object form, and the columns are valid by the protocol schema.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { NodeColumns, NodeState } from "@valence/schema";
import * as ct from "valence-workflows";
import { storedNodeState } from "#src/dispatcher/node-states.js";
import { nodeColumns, nodeStatesOf, statusCounts, storedNodeColumns } from "#src/shared/node-columns.js";
import { storedNodeStates } from "#src/dispatcher/node-states.js";
import { useDispatcher } from "../support/dispatcher.ts";
import { validateProtocol } from "../support/schema.ts";

const dispatcher = useDispatcher();

/** Same objects field for field, and the same JSON text (no field missing, added or moved). */
function assertSameStates(actual: readonly NodeState[], expected: readonly NodeState[]): void {
  assert.deepStrictEqual(actual, expected);
  assert.equal(JSON.stringify(actual), JSON.stringify(expected));
}

function counted(states: readonly NodeState[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const s of states) counts.set(s.status, (counts.get(s.status) ?? 0) + 1);
  return counts;
}

/** Both forms of the dispatch's detail, taken in one go (detail() is synchronous: nothing moves between). */
function bothForms(id: string): { nodes: NodeState[]; columns: NodeColumns } {
  const engine = dispatcher.current().engine;
  const objects = engine.detail(id);
  const columnar = engine.detail(id, { columns: true });
  validateProtocol("dispatchDetail", objects);
  validateProtocol("columnarDispatchDetail", columnar);
  const { nodeColumns: _columns, ...restColumnar } = columnar;
  const { nodes: _nodes, ...restObjects } = objects;
  assert.deepStrictEqual(restColumnar, restObjects, "dispatch, seq and result are the same");
  return { nodes: objects.nodes, columns: columnar.nodeColumns };
}

function assertColumnsMatch(id: string): NodeState[] {
  const { nodes, columns } = bothForms(id);
  assertSameStates(nodeStatesOf(columns), nodes);
  assert.deepStrictEqual(statusCounts(columns), counted(nodes));
  return nodes;
}

const label = ct.electron(function label(x: number): string {
  return `item ${x % 3}`;
});
const square = ct.electron(function square(x: number): number {
  return x * x;
});
const boom = ct.electron(function boom(_x: number): number {
  throw new Error("disk full");
});
const after = ct.electron(function after(x: number): number {
  return x;
});
const sleep = ct.electron(async function sleep(ms: number): Promise<number> {
  await new Promise((r) => setTimeout(r, ms));
  return ms;
});

test("a completed dispatch: previews (shared and distinct), parameters, times", async () => {
  const wf = ct.lattice(function previews(n: number) {
    const xs = [];
    for (let i = 0; i < n; i++) xs.push([label(i), square(i)]);
    return xs;
  });
  const result = await ct.dispatchSync(wf)(12);
  assert.equal(result.status, "COMPLETED");
  const nodes = assertColumnsMatch(result.dispatchId);
  const { columns } = bothForms(result.dispatchId);
  assert.ok(nodes.some((n) => n.output) && nodes.some((n) => n.startedAt !== undefined));
  // "item 0".."item 2" and 12 distinct squares (0 and 1 among them), the lists' previews: each once.
  assert.ok(columns.previews.length < nodes.filter((n) => n.output).length);
  assert.equal(columns.others.length, 0);
  assert.equal(columns.ids, undefined);
});

test("a failed dispatch: the error travels whole, cancelled dependants and completed branches in columns", async () => {
  const wf = ct.lattice(function partial() {
    return [after(boom(1)), square(3)];
  });
  const result = await ct.dispatchSync(wf)();
  assert.equal(result.status, "FAILED");
  const nodes = assertColumnsMatch(result.dispatchId);
  assert.deepEqual(new Set(nodes.map((n) => n.status)), new Set(["COMPLETED", "FAILED", "CANCELLED"]));
  const { columns } = bothForms(result.dispatchId);
  assert.deepEqual(
    columns.others.map((n) => n.status),
    ["FAILED"],
  );
  assert.match(columns.others[0]!.error!.message, /disk full/);
});

test("a running dispatch (live states: running, pending, new), then its cancelled nodes", async () => {
  const wf = ct.lattice(function slow() {
    const a = sleep(30_000);
    return [sleep(a), square(2), sleep(30_000)];
  });
  const id = await ct.dispatch(wf)();
  const engine = dispatcher.current().engine;
  await new Promise((r) => setTimeout(r, 300));
  const live = assertColumnsMatch(`${id}`);
  assert.ok(live.some((n) => n.status === "RUNNING"));
  assert.ok(live.some((n) => n.status === "NEW_OBJECT" || n.status === "PENDING"));
  await ct.cancel(id);
  await engine.whenFinished(`${id}`);
  const done = assertColumnsMatch(`${id}`);
  assert.ok(done.some((n) => n.status === "CANCELLED"));
});

test("a redispatch reusing stored outputs: reused nodes in columns", async () => {
  const wf = ct.lattice(function squares(xs: number[]) {
    return xs.map((x) => square(x));
  });
  const first = await ct.dispatchSync(wf)([1, 2, 3]);
  const again = await ct.getResult(await ct.redispatch(first.dispatchId, { reusePreviousResults: true })(), {
    wait: true,
  });
  assert.equal(again.status, "COMPLETED");
  const nodes = assertColumnsMatch(again.dispatchId);
  assert.ok(nodes.filter((n) => n.reused).length >= 3);
  assert.ok(bothForms(again.dispatchId).columns.reused!.length >= 3);
});

test("stored rows the dispatches above never make: workers, gaps in ids, odd times, unknown statuses", () => {
  const preview = '{"type":"number","preview":"0"}';
  const worker = '{"host":"h","pid":7,"id":"w1"}';
  const error = '{"name":"Error","message":"boom"}';
  // [node_id, status, attempts, started_at, ended_at, error, output_preview, reused, worker, queued_ms]
  const rows: unknown[][] = [
    [0, "COMPLETED", 0, null, null, null, null, 0, null, null],
    [1, "COMPLETED", 1, 1_700_000_000_000, 1_700_000_000_005, null, preview, 0, worker, 3.5],
    [2, "COMPLETED", 2, 1_700_000_000_001, 1_700_000_000_009.25, null, preview, 1, worker, null],
    [4, "FAILED", 1, 1_700_000_000_002, 1_700_000_000_003, error, null, 0, worker, 0],
    [5, "RUNNING", 1, 0.1, null, null, null, 0, null, null],
    [6, "PENDING", 0, null, null, null, null, 0, null, null],
    [9, "SOMETHING_NEW", 0, null, null, null, null, 0, null, null],
    [10, "NEW_OBJECT", 0, null, null, null, null, 0, '{"host":"h","pid":8,"id":"w2"}', null],
  ];
  const columns = storedNodeColumns(rows, storedNodeState);
  assert.deepEqual(columns.ids, [0, 1, 2, 4, 5, 6, 9, 10]);
  assert.equal(columns.workers!.length, 2);
  assert.deepEqual(
    columns.others.map((o) => o.id),
    [4, 5, 9],
    "the error, the time not exact as an offset, the unknown status",
  );
  const expected = storedNodeStates(rows);
  assertSameStates(nodeStatesOf(columns), expected);
  assert.deepStrictEqual(statusCounts(columns), counted(expected));
  assertSameStates(nodeStatesOf(storedNodeColumns([], storedNodeState)), []);
});

test("live states the dispatches above never make: waiting, workers, queued times, reused false", () => {
  const worker = { host: "h", pid: 1, id: "w" };
  const states: NodeState[] = [
    { id: 0, status: "PENDING", attempts: 0, waiting: "no worker with 1 GPU is connected" },
    { id: 1, status: "RUNNING", attempts: 1, startedAt: 1_700_000_000_000, worker, queuedMs: 12 },
    { id: 2, status: "COMPLETED", attempts: 1, endedAt: 1_700_000_000_100, output: { type: "string", preview: "'a'" } },
    { id: 3, status: "COMPLETED", attempts: 0, reused: false },
    { id: 4, status: "CANCELLED", attempts: 0, worker: { ...worker } },
  ];
  const columns = nodeColumns(states);
  assert.deepEqual(
    columns.others.map((o) => o.id),
    [0, 3],
  );
  assertSameStates(nodeStatesOf(columns), states);
  assert.deepStrictEqual(statusCounts(columns), counted(states));
});

test("a status letter the client does not know is refused, not guessed", () => {
  const columns = nodeColumns([{ id: 0, status: "COMPLETED", attempts: 0 }]);
  assert.throws(() => nodeStatesOf({ ...columns, status: "Z" }), /unknown status letter "Z"/);
});
