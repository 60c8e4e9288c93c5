// Completed nodes are stored a commit at a time, one block row per dispatch (store/node-blocks.ts),
// not a row each; every read sees them as it saw rows, a later row wins over a block entry, and a
// rolled-back transaction leaves no block behind.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import Database from "better-sqlite3";
import { nodeState as state, openStore as openTestStore } from "../support/store.ts";
import { Store, type NodeRowUpdate } from "#src/dispatcher/store/store.js";
import { BlockCache } from "#src/dispatcher/store/node-blocks.js";
import type { NewDispatch } from "#src/dispatcher/store/records.js";

const openStore = (t: TestContext) => openTestStore(t, "valence-node-blocks-");

// A forced GC, for the test that measures what the store keeps (a new context then has `gc`).
setFlagsFromString("--expose-gc");

const dispatch = (id: string, tasks: number): NewDispatch => ({
  id,
  latticeName: "fan",
  graph: "{}",
  lattice: "{}",
  inputs: Uint8Array.of(1),
  nodes: Array.from({ length: tasks }, (_, nodeId) => ({ nodeId, kind: "electron" as const, name: "work" })),
  createdAt: 1,
});

const completed = (n: number): Partial<NodeRowUpdate> => ({
  output: Uint8Array.of(n, n + 1),
  outputPreview: JSON.stringify({ type: "number", preview: String(n) }),
  cacheKey: `key-${n}`,
  worker: JSON.stringify({ host: "h", pid: 1, id: "w" }),
  queuedMs: 0.5,
});

function count(dir: string, table: "nodes" | "node_blocks", id: string): number {
  const db = new Database(join(dir, "valence.db"), { readonly: true });
  const { n } = db.prepare(`SELECT count(*) AS n FROM ${table} WHERE dispatch_id = ?`).get(id) as { n: number };
  db.close();
  return n;
}

test("the nodes a commit completes are one block, and every read sees them", (t) => {
  const { store, dir } = openStore(t);
  store.apply({ newDispatches: [dispatch("d", 6)] });
  // A long task's RUNNING state is a row; when it completes, its block entry replaces the row.
  store.transaction((w) => w.nodeState("d", 5, state({ status: "RUNNING", endedAt: NaN })));
  assert.equal(count(dir, "nodes", "d"), 1);
  store.transaction((w) => {
    for (const id of [2, 0, 5]) w.nodeState("d", id, state(completed(id)));
  });
  store.transaction((w) => w.nodeState("d", 3, state({ ...completed(3), reused: true, startedAt: NaN })));
  assert.deepEqual([count(dir, "nodes", "d"), count(dir, "node_blocks", "d")], [0, 2]);

  const check = (s: Store): void => {
    assert.deepEqual(s.getNode("d", 2), {
      dispatchId: "d",
      nodeId: 2,
      kind: "electron",
      name: "work",
      status: "COMPLETED",
      attempts: 1,
      startedAt: 10,
      endedAt: 11,
      outputPreview: { type: "number", preview: "2" },
      hasOutput: true,
      reused: false,
      worker: { host: "h", pid: 1, id: "w" },
      queuedMs: 0.5,
    });
    assert.equal(s.getNode("d", 3)?.startedAt, undefined);
    assert.equal(s.getNode("d", 3)?.reused, true);
    assert.deepEqual([...s.getNodeOutput("d", 5)!], [5, 6]);
    assert.equal(s.getNodeOutput("d", 1), undefined);
    assert.deepEqual(
      s.getNodes("d").map((n) => [n.nodeId, n.status, n.hasOutput]),
      [0, 1, 2, 3, 4, 5].map((id) => [id, [1, 4].includes(id) ? "NEW_OBJECT" : "COMPLETED", ![1, 4].includes(id)]),
    );
    assert.deepEqual(
      [...s.nodeStateRows("d")].map((row) => row.slice(0, 3)),
      [0, 1, 2, 3, 4, 5].map((id) => [
        id,
        [1, 4].includes(id) ? "NEW_OBJECT" : "COMPLETED",
        [1, 4].includes(id) ? 0 : 1,
      ]),
    );
    assert.deepEqual(
      [...s.outputPreviewRows("d")].map((row) => row[0]),
      [0, 2, 3, 5],
    );
    assert.deepEqual([...s.contentKeys("d")].sort(), [
      ["key-0", 0],
      ["key-2", 2],
      ["key-3", 3],
      ["key-5", 5],
    ]);
    assert.deepEqual([...s.findOutputByKey("key-3", "d")!], [3, 4]);
  };
  check(store);
  // A reopened store (another process) reads the blocks from the file.
  store.close();
  const again = Store.open(dir);
  t.after(() => again.close());
  check(again);
});

test("a row written after a block entry wins, and keeps the entry's fields it does not set", (t) => {
  const { store } = openStore(t);
  store.apply({ newDispatches: [dispatch("d", 3)] });
  store.transaction((w) => w.nodeState("d", 1, state(completed(1))));
  store.apply({ nodes: [{ dispatchId: "d", nodeId: 1, status: "COMPLETED", reused: true }] });
  const node = store.getNode("d", 1)!;
  assert.deepEqual([node.attempts, node.startedAt, node.reused, node.outputPreview?.preview], [1, 10, true, "1"]);
  assert.deepEqual([...store.getNodeOutput("d", 1)!], [1, 2]);
  assert.deepEqual(store.contentKeys("d").get("key-1"), 1);
  // Within one transaction too: the row written after the entry is the node's state.
  store.transaction((w) => {
    w.nodeState("d", 2, state(completed(2)));
    w.node("d", 2, state({ status: "FAILED", output: undefined }));
  });
  assert.equal(store.getNode("d", 2)?.status, "FAILED");
});

test("a rolled-back transaction leaves no block, and later blocks are read right", (t) => {
  const { store, dir } = openStore(t);
  store.apply({ newDispatches: [dispatch("d", 4)] });
  store.transaction((w) => w.nodeState("d", 0, state(completed(0))));
  assert.throws(() =>
    store.transaction((w) => {
      w.nodeState("d", 1, state(completed(1)));
      throw new Error("abort");
    }),
  );
  assert.throws(() =>
    store.transaction((w) => {
      w.nodeState("d", 2, state(completed(2)));
      w.node("d", 99, state({ status: "RUNNING" })); // no such node: the whole transaction goes
    }),
  );
  assert.equal(count(dir, "node_blocks", "d"), 1);
  assert.deepEqual(
    store.getNodes("d").map((n) => n.status),
    ["COMPLETED", "NEW_OBJECT", "NEW_OBJECT", "NEW_OBJECT"],
  );
  store.transaction((w) => w.nodeState("d", 2, state(completed(2))));
  assert.deepEqual([...store.getNodeOutput("d", 2)!], [2, 3]);
  assert.equal(store.getNode("d", 1)?.status, "NEW_OBJECT");
});

test("what blocks cannot hold gets a row: errors, files, shared cache keys, partial states", (t) => {
  const { store, dir } = openStore(t);
  const large = Store.open(mkdtempSync(join(tmpdir(), "valence-node-blocks-large-")), { largeOutputBytes: 4 });
  t.after(() => large.close());
  store.apply({ newDispatches: [dispatch("d", 4)] });
  store.transaction((w) => {
    w.nodeState("d", 0, state({ ...completed(0), error: { name: "E", message: "m" } }));
    w.nodeState("d", 1, state({ ...completed(1), sharedKey: true }));
    w.nodeState("d", 2, state({ ...completed(2), attempts: NaN }));
    w.nodeState("d", 3, state({ status: "COMPLETED" })); // no output
  });
  assert.deepEqual([count(dir, "nodes", "d"), count(dir, "node_blocks", "d")], [4, 0]);
  assert.deepEqual([...store.findOutputByKey("key-1")!], [1, 2], "a shared key is looked up from any dispatch");
  large.apply({ newDispatches: [dispatch("big", 1)] });
  large.transaction((w) => w.nodeState("big", 0, state({ output: new Uint8Array(64).fill(7) })));
  assert.equal(large.getNodeOutput("big", 0)?.length, 64);
});

test("blocks read from many finished dispatches are kept up to a bound in bytes, not a few per cached dispatch", (t) => {
  // Each dispatch's index kept its last 8 blocks (outputs of up to 1 MiB each) for as long as its node
  // list was cached: reading 200 dispatches' 512 KB outputs kept 100 MB.
  const { store, dir } = openStore(t);
  const output = (i: number) => new Uint8Array(512 * 1024).fill(i % 251);
  for (let i = 0; i < 200; i++) {
    store.apply({ newDispatches: [dispatch(`d${i}`, 1)] });
    store.transaction((w) => w.nodeState(`d${i}`, 0, state({ output: output(i) })));
  }
  store.close();
  const again = Store.open(dir); // nothing read yet
  t.after(() => again.close());
  const gc = runInNewContext("gc") as () => void;
  gc();
  const before = process.memoryUsage().arrayBuffers;
  const read = (i: number): void => {
    const out = again.getNodeOutput(`d${i}`, 0)!;
    assert.deepEqual([out.byteLength, out[0], out.at(-1)], [512 * 1024, i % 251, i % 251]);
  };
  for (let i = 0; i < 200; i++) read(i);
  gc();
  const kept = process.memoryUsage().arrayBuffers - before;
  assert.ok(kept < 48 * 2 ** 20, `${(kept / 2 ** 20).toFixed(0)} MB of outputs kept after reading 200 dispatches`);
  read(0); // read again from the file
});

test("small blocks are kept up to a number of blocks too: each costs ~1 KB of heap whatever its bytes", () => {
  const reads: number[] = [];
  const cache = new BlockCache((id) => {
    reads.push(id);
    const texts = JSON.stringify({ previews: [], workers: [], keys: [null] });
    return {
      node_ids: Buffer.from(Int32Array.of(0).buffer),
      numbers: Buffer.alloc(64),
      outputs: Buffer.alloc(8),
      texts,
    };
  });
  for (let id = 1; id <= 5_000; id++) assert.equal(cache.get(id)?.ids[0], 0);
  assert.ok(cache.size <= 1024, `${cache.size} blocks kept`);
  assert.ok(cache.bytes <= 8 * 2 ** 20);
  cache.get(5_000);
  assert.equal(reads.length, 5_000, "the last one read is kept");
  cache.clear();
  assert.deepEqual([cache.size, cache.bytes], [0, 0]);
});
