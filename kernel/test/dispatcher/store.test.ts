// The dispatcher's SQLite store: batches commit whole or not at all, reads return what was written,
// large outputs live in files, events are dense per dispatch, and the file survives reopening, a
// SIGKILL of its writer, and an upgrade from an older layout.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "node:child_process";
import Database from "better-sqlite3";
import { Store } from "#src/dispatcher/store/store.js";
import { migrations } from "#src/dispatcher/store/migrations/index.js";
import type { NewDispatch } from "#src/dispatcher/store/records.js";
import { distDir } from "../support/built.ts";

function dataDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), "valence-store-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function openStore(t: TestContext, options?: { largeOutputBytes?: number }): { store: Store; dir: string } {
  const dir = dataDir(t);
  const store = Store.open(dir, options);
  t.after(() => store.close());
  return { store, dir };
}

function newDispatch(id: string, extra: Partial<NewDispatch> = {}): NewDispatch {
  const nodes = [
    { nodeId: 2, kind: "electron" as const, name: "report" },
    { nodeId: 0, kind: "parameter" as const, name: "1", status: "COMPLETED" as const },
    { nodeId: 1, kind: "electron" as const, name: "work" },
  ];
  return {
    id,
    latticeName: "flow",
    graph: '{"g":1}',
    lattice: '{"l":1}',
    inputs: Uint8Array.of(1),
    nodes,
    createdAt: 1,
    ...extra,
  };
}

const boom = { name: "Error", message: "boom", stack: "Error: boom\n    at work" };

test("a dispatch, its nodes, outputs, errors, result and logs round-trip through the store", (t) => {
  const { store } = openStore(t);
  store.apply({ newDispatches: [newDispatch("d1", { volume: "scratch" })] });
  store.apply({
    dispatches: [{ id: "d1", status: "RUNNING", startedAt: 5 }],
    nodes: [
      { dispatchId: "d1", nodeId: 1, status: "FAILED", attempts: 1, startedAt: 6, endedAt: 7, error: boom },
      { dispatchId: "d1", nodeId: 2, status: "RUNNING", attempts: 1, startedAt: 6 },
    ],
    logs: [
      { dispatchId: "d1", nodeId: 1, attempt: 1, lines: [{ stream: "stderr", text: "oops\n", at: 6 }] },
      { dispatchId: "d1", nodeId: 2, attempt: 1, lines: [{ stream: "stdout", text: "hi\n", at: 7 }] },
    ],
  });
  assert.deepEqual(store.getNode("d1", 1)?.error, boom);
  // A retry that succeeds: its patch carries no error, which clears the stored one.
  const preview = { type: "number", preview: "9" };
  store.apply({
    nodes: [
      {
        dispatchId: "d1",
        nodeId: 1,
        status: "COMPLETED",
        attempts: 2,
        output: Uint8Array.of(9, 9),
        outputPreview: preview,
      },
    ],
    dispatches: [{ id: "d1", status: "FAILED", endedAt: 9, error: boom, result: Uint8Array.of(4) }],
  });

  assert.deepEqual(store.getDispatch("d1"), {
    id: "d1",
    latticeName: "flow",
    status: "FAILED",
    createdAt: 1,
    startedAt: 5,
    endedAt: 9,
    error: boom,
    volume: "scratch",
  });
  assert.deepEqual(store.getNode("d1", 1), {
    dispatchId: "d1",
    nodeId: 1,
    kind: "electron",
    name: "work",
    status: "COMPLETED",
    attempts: 2,
    startedAt: 6,
    endedAt: 7,
    outputPreview: preview,
    hasOutput: true,
    reused: false,
  });
  assert.deepEqual(
    store.getNodes("d1").map((n) => [n.nodeId, n.status]),
    [
      [0, "COMPLETED"],
      [1, "COMPLETED"],
      [2, "RUNNING"],
    ],
  );
  assert.deepEqual([...store.iterateNodes("d1")], store.getNodes("d1"));
  assert.deepEqual([...store.getNodeOutput("d1", 1)!], [9, 9]);
  assert.equal(store.getNodeOutput("d1", 2), undefined);
  assert.equal(store.getNode("d1", 7), undefined);
  assert.deepEqual([...store.getResult("d1")!], [4]);
  assert.deepEqual(
    [store.getGraph("d1"), store.getLattice("d1"), [...store.getInputs("d1")]],
    ['{"g":1}', '{"l":1}', [1]],
  );
  assert.deepEqual(store.getLogs("d1", 2), [{ nodeId: 2, attempt: 1, stream: "stdout", text: "hi\n", at: 7 }]);
  assert.deepEqual(
    store.getLogs("d1").map((l) => l.text),
    ["oops\n", "hi\n"],
  );
  assert.equal(store.getDispatch("nope"), undefined);
  assert.throws(() => store.getGraph("nope"), /no dispatch nope/);
});

test("outputs over the size threshold go to a file the row points to; smaller ones stay in the row", (t) => {
  const { store, dir } = openStore(t, { largeOutputBytes: 1000 });
  store.apply({ newDispatches: [newDispatch("d2")] });
  const big = new Uint8Array(5000).map((_, i) => i % 251);
  store.apply({
    nodes: [
      { dispatchId: "d2", nodeId: 1, output: big },
      { dispatchId: "d2", nodeId: 2, output: new Uint8Array(1000).fill(3) },
    ],
  });
  assert.equal(statSync(join(dir, "outputs", "d2", "1.bin")).size, 5000);
  assert.equal(existsSync(join(dir, "outputs", "d2", "2.bin")), false);
  assert.deepEqual(new Uint8Array(store.getNodeOutput("d2", 1)!), big);
  assert.equal(store.getNodeOutput("d2", 2)!.byteLength, 1000);
  assert.equal(store.getNode("d2", 1)!.hasOutput, true);
  const db = new Database(join(dir, "valence.db"), { readonly: true });
  t.after(() => db.close());
  const row = db.prepare("SELECT output, output_file FROM nodes WHERE dispatch_id = 'd2' AND node_id = 1").get();
  assert.deepEqual(row, { output: null, output_file: join("outputs", "d2", "1.bin") });
});

test("events are numbered densely per dispatch, so a client can resume after any sequence number", (t) => {
  const { store } = openStore(t);
  store.apply({ newDispatches: [newDispatch("a"), newDispatch("b")] });
  assert.equal(store.lastSeq("a"), 0);
  const event = (dispatchId: string, seq: number) => ({ dispatchId, seq, body: { seq, text: "é" } });
  store.apply({ events: [event("a", 1), event("b", 1), event("a", 2)] });
  store.apply({ events: [event("a", 3)] });
  assert.deepEqual(store.eventsSince("a", 0), [event("a", 1), event("a", 2), event("a", 3)]);
  assert.deepEqual(store.eventsSince("a", 2), [event("a", 3)]);
  assert.deepEqual(store.eventsSince("a", 3), []);
  assert.deepEqual([store.lastSeq("a"), store.lastSeq("b")], [3, 1]);
  assert.throws(
    () => store.apply({ events: [event("a", 5)] }),
    /event 5 of dispatch a is out of sequence \(expected 4\)/,
  );
  assert.throws(() => store.apply({ events: [event("b", 1)] }), /out of sequence \(expected 2\)/);
  assert.throws(() => store.apply({ events: [event("ghost", 1)] }), /no dispatch ghost/);
});

test("a batch that fails half-way leaves nothing applied", (t) => {
  const { store, dir } = openStore(t, { largeOutputBytes: 10 });
  store.apply({ newDispatches: [newDispatch("d3")] });
  const failing = {
    newDispatches: [newDispatch("d4")],
    dispatches: [{ id: "d3", status: "COMPLETED" as const }],
    nodes: [
      { dispatchId: "d3", nodeId: 1, status: "COMPLETED" as const, output: Uint8Array.of(1) },
      { dispatchId: "d3", nodeId: 99, status: "COMPLETED" as const, output: new Uint8Array(100) },
    ],
    events: [{ dispatchId: "d3", seq: 1, body: {} }],
  };
  assert.throws(() => store.apply(failing), /no node 99 in dispatch d3 to update/);
  assert.throws(() => store.apply({ dispatches: [{ id: "ghost", status: "RUNNING" }] }), /no dispatch ghost to update/);
  assert.throws(() => store.apply({ newDispatches: [newDispatch("d3")] }), /UNIQUE constraint failed/);
  assert.equal(store.getDispatch("d3")!.status, "NEW_OBJECT");
  assert.equal(store.getNode("d3", 1)!.hasOutput, false);
  assert.equal(store.getDispatch("d4"), undefined);
  assert.equal(store.lastSeq("d3"), 0);
  assert.equal(existsSync(join(dir, "outputs", "d3", "99.bin")), false);
  store.apply({ events: [{ dispatchId: "d3", seq: 1, body: {} }] }); // the store is still usable
});

test("dispatches list newest first, filter by status and parent, and honour the limit", (t) => {
  const { store } = openStore(t);
  store.apply({
    newDispatches: [
      newDispatch("old", { createdAt: 1 }),
      newDispatch("new", { createdAt: 3 }),
      newDispatch("child", { createdAt: 2, parentId: "old", parentNode: 1 }),
    ],
  });
  store.apply({
    dispatches: [
      { id: "old", status: "COMPLETED" },
      { id: "child", status: "COMPLETED" },
    ],
  });
  const ids = (list: Array<{ id: string }>) => list.map((d) => d.id);
  assert.deepEqual(ids(store.listDispatches()), ["new", "child", "old"]);
  assert.deepEqual(ids(store.listDispatches({ limit: 2 })), ["new", "child"]);
  assert.deepEqual(ids(store.listDispatches({ status: "COMPLETED" })), ["child", "old"]);
  assert.deepEqual(ids(store.listDispatches({ parentId: "old" })), ["child"]);
  assert.deepEqual(ids(store.listDispatches({ parentId: "old", status: "RUNNING" })), []);
  assert.deepEqual(store.getDispatch("child")!.parentNode, 1);
});

test("unfinished dispatches — new, pending or running — are found for resume, oldest first", (t) => {
  const { store } = openStore(t);
  const statuses = ["RUNNING", "COMPLETED", "PENDING", "FAILED", "NEW_OBJECT", "CANCELLED"] as const;
  store.apply({ newDispatches: statuses.map((_, i) => newDispatch(`d${i}`, { createdAt: 10 - i })) });
  store.apply({ dispatches: statuses.map((status, i) => ({ id: `d${i}`, status })) });
  assert.deepEqual(
    store.unfinishedDispatches().map((d) => [d.id, d.status]),
    [
      ["d4", "NEW_OBJECT"],
      ["d2", "PENDING"],
      ["d0", "RUNNING"],
    ],
  );
});

test("everything written is there again after closing and reopening the store", (t) => {
  const dir = dataDir(t);
  const first = Store.open(dir, { largeOutputBytes: 4 });
  first.apply({
    newDispatches: [newDispatch("d")],
    nodes: [{ dispatchId: "d", nodeId: 1, status: "COMPLETED", output: Uint8Array.of(1, 2, 3, 4, 5) }],
    events: [{ dispatchId: "d", seq: 1, body: { n: 1 } }],
  });
  const before = { dispatch: first.getDispatch("d"), nodes: first.getNodes("d"), events: first.eventsSince("d", 0) };
  first.close();
  const second = Store.open(dir, { largeOutputBytes: 4 });
  t.after(() => second.close());
  assert.deepEqual(
    { dispatch: second.getDispatch("d"), nodes: second.getNodes("d"), events: second.eventsSince("d", 0) },
    before,
  );
  assert.deepEqual([...second.getNodeOutput("d", 1)!], [1, 2, 3, 4, 5]);
});

test("a fresh database gets every migration, and reopening it applies none again", (t) => {
  const dir = dataDir(t);
  Store.open(dir).close();
  const schema = () => {
    const db = new Database(join(dir, "valence.db"), { readonly: true });
    const result = {
      version: db.pragma("user_version", { simple: true }),
      sql: db.prepare("SELECT sql FROM sqlite_master ORDER BY name").all(),
    };
    db.close();
    return result;
  };
  const fresh = schema();
  assert.equal(fresh.version, migrations.length);
  Store.open(dir).close();
  assert.deepEqual(schema(), fresh);
});

test("a database written in the first layout is migrated and keeps its dispatches", (t) => {
  const dir = dataDir(t);
  const old = new Database(join(dir, "valence.db"));
  old.exec(migrations[0]!);
  old.pragma("user_version = 1");
  old
    .prepare(
      "INSERT INTO dispatches (id, lattice_name, status, created_at, graph, lattice, inputs) VALUES ('v1', 'flow', 'RUNNING', 1, '{}', '{}', x'01')",
    )
    .run();
  old
    .prepare(
      "INSERT INTO nodes (dispatch_id, node_id, kind, name, status) VALUES ('v1', 0, 'electron', 'work', 'RUNNING')",
    )
    .run();
  old.close();
  const store = Store.open(dir);
  t.after(() => store.close());
  assert.deepEqual(
    store.unfinishedDispatches().map((d) => [d.id, d.volume]),
    [["v1", undefined]],
  );
  store.apply({
    nodes: [{ dispatchId: "v1", nodeId: 0, status: "COMPLETED", output: Uint8Array.of(5), cacheKey: "k" }],
  });
  assert.deepEqual([...store.findOutputByKey("k")!], [5]);
});

test("an empty database at version 0 gets the whole layout, and one from a newer Valence is refused untouched", (t) => {
  const dir = dataDir(t);
  const file = join(dir, "valence.db");
  const empty = new Database(file);
  empty.exec("CREATE TABLE unrelated (x INTEGER)");
  empty.close();
  Store.open(dir).close();
  const db = new Database(file);
  assert.equal(db.pragma("user_version", { simple: true }), migrations.length);
  db.pragma(`user_version = ${migrations.length + 1}`);
  db.close();
  assert.throws(
    () => Store.open(dir),
    new RegExp(`newer Valence \\(schema ${migrations.length + 1}; this one knows ${migrations.length}\\)`),
  );
  const after = new Database(file, { readonly: true });
  assert.equal(after.pragma("user_version", { simple: true }), migrations.length + 1);
  after.close();
});

test("what was committed survives a writer killed with SIGKILL mid-way, recovered from the WAL", async (t) => {
  const dir = dataDir(t);
  const storeModule = `${distDir}dispatcher/store/store.js`;
  const script = `
    const { Store } = require(${JSON.stringify(storeModule)});
    const store = Store.open(${JSON.stringify(dir)}, { largeOutputBytes: 64 });
    const nodes = [{ nodeId: 0, kind: "electron", name: "w" }];
    for (let i = 0; ; i++) {
      const id = "k" + i;
      store.apply({
        newDispatches: [{ id, latticeName: "f", graph: "{}", lattice: "{}", inputs: Buffer.alloc(1), nodes, createdAt: i }],
        nodes: [{ dispatchId: id, nodeId: 0, status: "COMPLETED", output: Buffer.alloc(100, i % 256) }],
        events: [{ dispatchId: id, seq: 1, body: { i } }],
      });
      if (i === 50) process.stdout.write("committed\\n");
    }`;
  const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
  child.kill("SIGKILL");
  await new Promise((resolve) => child.once("exit", resolve));
  assert.ok(statSync(join(dir, "valence.db-wal")).size > 0, "the killed writer left its commits in the WAL");

  const store = Store.open(dir);
  t.after(() => store.close());
  const ids = new Set(store.listDispatches({ limit: 1_000_000 }).map((d) => d.id));
  for (let i = 0; i <= 50; i++) assert.ok(ids.has(`k${i}`), `k${i} was committed before the kill`);
  for (const id of ids) {
    const i = Number(id.slice(1));
    assert.deepEqual(store.getNodeOutput(id, 0), Buffer.alloc(100, i % 256));
    assert.equal(store.lastSeq(id), 1);
  }
});

test("a dispatch with 100,000 nodes is written in one batch and read back one node at a time", (t) => {
  const { store } = openStore(t);
  const nodes = Array.from({ length: 100_000 }, (_, nodeId) => ({ nodeId, kind: "electron" as const, name: "n" }));
  store.apply({ newDispatches: [newDispatch("big", { nodes })] });
  let expected = 0;
  for (const node of store.iterateNodes("big")) assert.equal(node.nodeId, expected++);
  assert.equal(expected, 100_000);
});
