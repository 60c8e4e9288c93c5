// A new dispatch's nodes are stored as one list, not a row each: a node gets its row when first
// written, and every read (one node, all nodes, node states) shows the unwritten ones as created.
// Dispatches stored before the list (a row per node) read and update as they did.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import Database from "better-sqlite3";
import { nodeState, openStore as openTestStore } from "../support/store.ts";
import { Store } from "#src/dispatcher/store/store.js";
import type { NewDispatch } from "#src/dispatcher/store/records.js";
import { NodeList, NodeLists } from "#src/dispatcher/store/node-list.js";

const openStore = (t: TestContext) => openTestStore(t, "valence-node-list-");

const dispatch = (id: string): NewDispatch => ({
  id,
  latticeName: "flow",
  graph: "{}",
  lattice: "{}",
  inputs: Uint8Array.of(1),
  // Out of order, with a gap (no node 3).
  nodes: [
    { nodeId: 4, kind: "electron", name: "sum" },
    { nodeId: 0, kind: "parameter", name: "1", status: "COMPLETED" },
    { nodeId: 1, kind: "electron", name: "work" },
    { nodeId: 2, kind: "electron", name: "work" },
  ],
  createdAt: 1,
});

const rowCount = (dir: string, id: string): number => {
  const db = new Database(join(dir, "valence.db"), { readonly: true });
  const { n } = db.prepare("SELECT count(*) AS n FROM nodes WHERE dispatch_id = ?").get(id) as { n: number };
  db.close();
  return n;
};

test("nodes get their row when first written; unwritten ones read as created, in node id order", (t) => {
  const { store, dir } = openStore(t);
  store.apply({ newDispatches: [dispatch("d")] });
  assert.equal(rowCount(dir, "d"), 0);
  store.apply({ nodes: [{ dispatchId: "d", nodeId: 2, status: "RUNNING", attempts: 1, startedAt: 5 }] });
  store.apply({ nodes: [{ dispatchId: "d", nodeId: 2, status: "COMPLETED", endedAt: 6, output: Uint8Array.of(7) }] });
  assert.equal(rowCount(dir, "d"), 1);
  assert.deepEqual(
    store.getNodes("d").map((n) => [n.nodeId, n.kind, n.name, n.status, n.attempts, n.hasOutput]),
    [
      [0, "parameter", "1", "COMPLETED", 0, false],
      [1, "electron", "work", "NEW_OBJECT", 0, false],
      [2, "electron", "work", "COMPLETED", 1, true],
      [4, "electron", "sum", "NEW_OBJECT", 0, false],
    ],
  );
  assert.deepEqual([...store.iterateNodes("d")], store.getNodes("d"));
  assert.deepEqual(store.getNode("d", 1), {
    dispatchId: "d",
    nodeId: 1,
    kind: "electron",
    name: "work",
    status: "NEW_OBJECT",
    attempts: 0,
    hasOutput: false,
    reused: false,
  });
  assert.deepEqual(store.getNode("d", 2)?.startedAt, 5);
  assert.equal(store.getNode("d", 3), undefined);
  assert.deepEqual(
    [...store.nodeStateRows("d")].map((row) => row.slice(0, 5)),
    [
      [0, "COMPLETED", 0, null, null],
      [1, "NEW_OBJECT", 0, null, null],
      [2, "COMPLETED", 1, 5, 6],
      [4, "NEW_OBJECT", 0, null, null],
    ],
  );
  assert.throws(() => store.apply({ nodes: [{ dispatchId: "d", nodeId: 3, status: "RUNNING" }] }), /no node 3/);
  // A reopened store reads the list from the file.
  store.close();
  const again = Store.open(dir);
  t.after(() => again.close());
  assert.deepEqual(
    again.getNodes("d").map((n) => [n.nodeId, n.status]),
    [
      [0, "COMPLETED"],
      [1, "NEW_OBJECT"],
      [2, "COMPLETED"],
      [4, "NEW_OBJECT"],
    ],
  );
  again.apply({ nodes: [{ dispatchId: "d", nodeId: 2, status: "FAILED" }] });
  again.apply({ nodes: [{ dispatchId: "d", nodeId: 4, status: "CANCELLED" }] });
  assert.deepEqual(
    again.getNodes("d").map((n) => [n.nodeId, n.status]),
    [
      [0, "COMPLETED"],
      [1, "NEW_OBJECT"],
      [2, "FAILED"],
      [4, "CANCELLED"],
    ],
  );
});

test("a rolled-back transaction leaves no dispatch and no row behind, and later writes still land", (t) => {
  const { store, dir } = openStore(t);
  assert.throws(() =>
    store.transaction((writer) => {
      writer.insertDispatch(dispatch("gone"));
      throw new Error("abort");
    }),
  );
  assert.deepEqual(store.getNodes("gone"), []);
  assert.equal(store.getNode("gone", 1), undefined);

  store.apply({ newDispatches: [dispatch("d")] });
  // The first write of node 1 is rolled back with its transaction; the next one inserts the row again.
  assert.throws(() =>
    store.apply({
      nodes: [
        { dispatchId: "d", nodeId: 1, status: "RUNNING", attempts: 1 },
        { dispatchId: "d", nodeId: 9, status: "RUNNING" },
      ],
    }),
  );
  assert.equal(rowCount(dir, "d"), 0);
  store.apply({ nodes: [{ dispatchId: "d", nodeId: 1, status: "COMPLETED", attempts: 1 }] });
  assert.deepEqual([store.getNode("d", 1)?.status, rowCount(dir, "d")], ["COMPLETED", 1]);
});

test("in nested transactions a new dispatch's list is kept only if the outermost one commits", (t) => {
  const { store } = openStore(t);
  store.transaction((writer) => {
    writer.insertDispatch(dispatch("kept"));
    assert.throws(() =>
      store.transaction(() => {
        throw new Error("inner");
      }),
    );
    writer.node("kept", 1, nodeState({ status: "RUNNING", startedAt: NaN, endedAt: NaN }));
  });
  assert.deepEqual(
    store.getNodes("kept").map((n) => n.status),
    ["COMPLETED", "RUNNING", "NEW_OBJECT", "NEW_OBJECT"],
  );
  assert.throws(() =>
    store.transaction(() => {
      store.transaction((writer) => writer.insertDispatch(dispatch("gone")));
      throw new Error("outer");
    }),
  );
  assert.deepEqual(store.getNodes("gone"), []);
});

test("a dispatch stored before node lists, with a row per node, reads and updates as before", (t) => {
  const { store, dir } = openStore(t);
  const db = new Database(join(dir, "valence.db"));
  db.exec(`INSERT INTO dispatches (id, lattice_name, status, created_at) VALUES ('old', 'flow', 'RUNNING', 1);
    INSERT INTO dispatch_specs (id, graph, lattice, inputs) VALUES ('old', '{}', '{}', x'01');
    INSERT INTO nodes (dispatch_id, node_id, kind, name, status) VALUES ('old', 0, 'parameter', '1', 'COMPLETED'),
      ('old', 1, 'electron', 'work', 'NEW_OBJECT');`);
  db.close();
  store.apply({ nodes: [{ dispatchId: "old", nodeId: 1, status: "COMPLETED", attempts: 1 }] });
  assert.deepEqual(
    store.getNodes("old").map((n) => [n.nodeId, n.name, n.status]),
    [
      [0, "1", "COMPLETED"],
      [1, "work", "COMPLETED"],
    ],
  );
  assert.equal([...store.nodeStateRows("old")].length, 2);
  assert.throws(() => store.apply({ nodes: [{ dispatchId: "old", nodeId: 2, status: "RUNNING" }] }), /no node 2/);
});

test("lists are kept up to a number of nodes in all, least recently used dropped first", () => {
  const stored = new Map<string, string>();
  const loads: string[] = [];
  const lists = new NodeLists((id) => {
    loads.push(id);
    const nodes = stored.get(id);
    return nodes === undefined ? undefined : { nodes };
  });
  const big = Array.from({ length: 100_000 }, (_, nodeId) => ({ nodeId, kind: "electron" as const, name: "n" }));
  for (const id of ["a", "b", "c"]) {
    const { list, text } = NodeList.build(big);
    stored.set(id, text);
    lists.add(id, list);
    lists.settle(true);
  }
  assert.equal(lists.get("nope"), undefined);
  assert.equal(lists.get("c")?.name(99_999), "n");
  assert.equal(lists.get("b")?.size, 100_000);
  assert.deepEqual(loads, ["nope"]);
  assert.equal(lists.get("a")?.kind(5), "electron"); // dropped for c: read again
  assert.deepEqual(loads, ["nope", "a"]);
  lists.add("d", NodeList.build([]).list);
  lists.settle(false); // rolled back: not kept
  assert.equal(lists.get("d"), undefined);
});

test("lists of many small dispatches are kept by what they cost, not only their nodes: a few hundred, not all", () => {
  // Each list has a fixed cost (typed arrays, tables, its block index: ~4 KB) whatever its size; counted
  // by nodes alone, 125,000 one-node lists were kept and the long fuzz run's heap grew ~5 KB a dispatch.
  const lists = new NodeLists(() => undefined);
  for (let i = 0; i < 5_000; i++) {
    lists.add(`d${i}`, NodeList.build([{ nodeId: 0, kind: "electron", name: "add" }]).list);
    lists.settle(true);
  }
  assert.ok(lists.size <= 1_000, `${lists.size} lists kept`);
  assert.ok(lists.size >= 100, `${lists.size} lists kept`); // still a cache
  assert.equal(lists.get("d4999")?.name(0), "add");
});

test("node states of a big dispatch come in node id order across the chunks they are read in", (t) => {
  const { store } = openStore(t);
  const n = 5000;
  const nodes = Array.from({ length: n }, (_, nodeId) => ({ nodeId, kind: "electron" as const, name: "w" }));
  store.apply({ newDispatches: [{ ...dispatch("big"), nodes }] });
  // Every third node written (rows), the rest only listed.
  const written = nodes.filter((_, i) => i % 3 === 0);
  store.apply({ nodes: written.map(({ nodeId }) => ({ dispatchId: "big", nodeId, status: "COMPLETED" as const })) });
  const rows = [...store.nodeStateRows("big")];
  assert.deepEqual(
    rows.map((row) => row[0]),
    nodes.map((node) => node.nodeId),
  );
  assert.deepEqual(rows.filter((row) => row[1] === "COMPLETED").length, written.length);
});
