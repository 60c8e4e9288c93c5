import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { Store } from "../../dist/dispatcher/store/store.js";
import { migrations } from "../../dist/dispatcher/store/migrations/index.js";
import { temporaryDir } from "../support/dispatcher.ts";

const nodes = [
  { nodeId: 0, kind: "parameter" as const, name: "1" },
  { nodeId: 1, kind: "electron" as const, name: "work" },
];

function newDispatch(id: string, createdAt = Date.now()) {
  return { id, latticeName: "flow", graph: "{}", lattice: "{}", inputs: new Uint8Array([1]), nodes, createdAt };
}

function withStore<T>(body: (store: Store, dir: string) => T, options?: { largeOutputBytes?: number }): T {
  const dir = temporaryDir();
  const store = Store.open(dir, options);
  try {
    return body(store, dir);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test("a dispatch, its nodes, outputs, events and logs round-trip through the store", () => {
  withStore((store) => {
    store.apply({ newDispatches: [newDispatch("d1")] });
    store.apply({
      dispatches: [{ id: "d1", status: "RUNNING", startedAt: 5 }],
      nodes: [
        {
          dispatchId: "d1",
          nodeId: 1,
          status: "COMPLETED",
          attempts: 2,
          output: new Uint8Array([9, 9]),
          outputPreview: { type: "number", preview: "9" },
        },
      ],
      events: [
        { dispatchId: "d1", seq: 1, body: { a: 1 } },
        { dispatchId: "d1", seq: 2, body: { a: 2 } },
      ],
      logs: [{ dispatchId: "d1", nodeId: 1, attempt: 2, lines: [{ stream: "stdout", text: "hi\n", at: 7 }] }],
    });
    assert.deepEqual(store.getDispatch("d1"), {
      id: "d1",
      latticeName: "flow",
      status: "RUNNING",
      createdAt: store.getDispatch("d1")!.createdAt,
      startedAt: 5,
    });
    const node = store.getNode("d1", 1)!;
    assert.deepEqual(
      [node.status, node.attempts, node.hasOutput, node.outputPreview],
      ["COMPLETED", 2, true, { type: "number", preview: "9" }],
    );
    assert.deepEqual([...store.getNodeOutput("d1", 1)!], [9, 9]);
    assert.equal(store.getNode("d1", 0)!.hasOutput, false);
    assert.deepEqual(
      store.eventsSince("d1", 1).map((e) => e.body),
      [{ a: 2 }],
    );
    assert.equal(store.lastSeq("d1"), 2);
    assert.deepEqual(store.getLogs("d1", 1), [{ nodeId: 1, attempt: 2, stream: "stdout", text: "hi\n", at: 7 }]);
    assert.deepEqual([...store.getInputs("d1")], [1]);
  });
});

test("outputs over the size threshold go to a file the row points to", () => {
  withStore(
    (store, dir) => {
      store.apply({ newDispatches: [newDispatch("d2")] });
      const big = new Uint8Array(5000).fill(7);
      store.apply({ nodes: [{ dispatchId: "d2", nodeId: 1, output: big }] });
      assert.ok(existsSync(join(dir, "outputs", "d2", "1.bin")));
      assert.deepEqual(store.getNodeOutput("d2", 1), Buffer.from(big));
    },
    { largeOutputBytes: 1000 },
  );
});

test("a batch that fails half-way leaves nothing applied", () => {
  withStore((store) => {
    store.apply({ newDispatches: [newDispatch("d3")] });
    assert.throws(
      () =>
        store.apply({
          dispatches: [{ id: "d3", status: "COMPLETED" }],
          nodes: [{ dispatchId: "d3", nodeId: 99, status: "COMPLETED" }],
        }),
      /no node 99 in dispatch d3/,
    );
    assert.equal(store.getDispatch("d3")!.status, "NEW_OBJECT");
  });
});

test("dispatches list newest first, filter by status, and unfinished ones are found for resume", () => {
  withStore((store) => {
    store.apply({ newDispatches: [newDispatch("old", 1), newDispatch("new", 2)] });
    store.apply({ dispatches: [{ id: "old", status: "COMPLETED" }] });
    assert.deepEqual(
      store.listDispatches().map((d) => d.id),
      ["new", "old"],
    );
    assert.deepEqual(
      store.listDispatches({ status: "COMPLETED" }).map((d) => d.id),
      ["old"],
    );
    assert.deepEqual(
      store.unfinishedDispatches().map((d) => d.id),
      ["new"],
    );
  });
});

test("migrations bring an older database up to date and leave a current one alone", () => {
  const dir = temporaryDir();
  const old = new Database(join(dir, "valence.db"));
  old.exec("CREATE TABLE unrelated (x INTEGER)");
  old.pragma("user_version = 0");
  old.close();
  Store.open(dir).close();
  const reopened = new Database(join(dir, "valence.db"));
  assert.equal(reopened.pragma("user_version", { simple: true }), migrations.length);
  assert.ok(reopened.prepare("SELECT name FROM sqlite_master WHERE name = 'dispatches'").get());
  reopened.pragma(`user_version = ${migrations.length + 1}`);
  reopened.close();
  assert.throws(() => Store.open(dir), /written by a newer Valence/);
  rmSync(dir, { recursive: true, force: true });
});

test("what was committed survives a writer killed with SIGKILL", async () => {
  const dir = temporaryDir();
  const storeModule = fileURLToPath(new URL("../../dist/dispatcher/store/store.js", import.meta.url));
  const script = `
    const { Store } = require(${JSON.stringify(storeModule)});
    const store = Store.open(${JSON.stringify(dir)});
    const nodes = [{ nodeId: 0, kind: "electron", name: "w" }];
    for (let i = 0; ; i++) {
      store.apply({ newDispatches: [{ id: "k" + i, latticeName: "f", graph: "{}", lattice: "{}", inputs: Buffer.alloc(1), nodes, createdAt: i }] });
      if (i === 50) process.stdout.write("committed\\n");
    }`;
  const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
  child.kill("SIGKILL");
  await new Promise((r) => child.once("exit", r));
  const store = Store.open(dir);
  const ids = new Set(store.listDispatches({ limit: 1_000_000 }).map((d) => d.id));
  store.close();
  for (let i = 0; i <= 50; i++) assert.ok(ids.has(`k${i}`), `k${i} was committed before the kill`);
  rmSync(dir, { recursive: true, force: true });
});
