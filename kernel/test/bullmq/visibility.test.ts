// What users see of tasks run by `valence worker`s (issue #9): a real dispatcher with the BullMQ
// executor, a real Redis and real worker processes. Each node's state, the Result and the DAG document
// say which worker (host, pid) ran it and how long it queued; a task no live worker can run waits
// visibly, with the reason, until one that can starts; where it ran survives a dispatcher restart and
// an upgrade of an older database.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { type DagDocument, type DispatchDetail, type NodeState, type ServerMessage } from "@valence/schema";
import * as ct from "valence-workflows";
import { LocalExecutor } from "#src/executors/index.js";
import { BullMQExecutor } from "#src/executors/bullmq/index.js";
import { connect, resetConnection } from "#src/client/connection.js";
import { watchDispatch } from "#src/client/watch.js";
import { Store } from "#src/dispatcher/store/store.js";
import { migrations } from "#src/dispatcher/store/migrations/index.js";
import { storedNodeStates } from "#src/dispatcher/node-states.js";
import { eventually, pointClientAt, temporaryDir } from "../support/dispatcher.ts";
import { startScaleOutDispatcher, stopScaleOutDispatcher } from "./dispatcher.ts";
import { validateDag, validateProtocol } from "../support/schema.ts";
import { startRedis, type RunningRedis } from "../support/redis.ts";
import { startWorker, type SpawnedWorker } from "./workers.ts";

let redis: RunningRedis | undefined;
let workers: SpawnedWorker[] = [];
let dispatcher: ct.RunningDispatcher | undefined;
const dataDir = temporaryDir();

const bullmqExecutor = (): ct.Executor => new BullMQExecutor({ redis: redis!.url }, { log: () => undefined });

/** GET on the current dispatcher's HTTP API, as the extension and scripts do. */
async function get<T>(path: string): Promise<T> {
  const response = await fetch(`${process.env.VALENCE_DISPATCHER_URL}${path}`, {
    headers: { authorization: `Bearer ${process.env.VALENCE_DISPATCHER_TOKEN}` },
  });
  assert.equal(response.status, 200, `GET ${path}`);
  return (await response.json()) as T;
}

// Root-level hooks run concurrently: one hook starts Redis, the workers, then the dispatcher.
before(async () => {
  redis = await startRedis();
  workers = await Promise.all([1, 2].map(() => startWorker(redis!.url, ["--cpus", "2"])));
  dispatcher = await startScaleOutDispatcher(dataDir, bullmqExecutor());
});

after(async () => {
  await stopScaleOutDispatcher(dispatcher, dataDir);
  const codes = await Promise.all(workers.map((w) => w.stop()));
  await redis?.stop();
  assert.ok(
    codes.every((code) => code === 0),
    `workers exited with ${codes.join(", ")}`,
  );
});

const square = ct.electron(function square(i: number): number {
  return i * i;
});
const sum = ct.electron(
  function sum(values: number[]): number {
    return values.reduce((a, b) => a + b, 0);
  },
  { executor: "local" },
);
const squares = ct.lattice(
  function squares(n: number) {
    const values = [];
    for (let i = 0; i < n; i++) values.push(square(i));
    return sum(values);
  },
  { executor: "bullmq" },
);

const onGpu = ct.electron(
  function onGpu(): number {
    return process.pid;
  },
  { executor: "bullmq", resources: { cpus: 1, gpus: 1 } },
);
const gpuFlow = ct.lattice(function gpuFlow() {
  return onGpu();
});

test("each node's Result, state and DAG node say which worker (host, pid) ran it and how long it queued", async () => {
  const result = await ct.dispatchSync(squares)(6);
  assert.equal(result.status, "COMPLETED", String(result.error?.message));
  assert.equal(result.result, 55);
  const byPid = new Map(workers.map((w) => [w.pid, w]));
  const names = new Map<string, number>();
  for (const { id } of result.nodes) {
    const node = await result.getNodeResult(id);
    names.set(node.name, (names.get(node.name) ?? 0) + 1);
    if (node.name !== "square") continue;
    assert.ok(node.worker, `node ${id} names its worker`);
    assert.equal(node.worker.host, hostname());
    const worker = byPid.get(node.worker.pid);
    assert.ok(worker, `node ${id} ran on a test worker (pid ${node.worker.pid})`);
    assert.equal(node.worker.id, worker.id);
    assert.equal(typeof node.queuedMs, "number");
    assert.ok(node.queuedMs! >= 0 && node.queuedMs! < 30_000, `queued ${node.queuedMs} ms`);
    assert.equal(node.waiting, undefined);
    assert.deepEqual(result.nodes[id]!.worker, node.worker, "the Result's node states say it too");
    assert.equal(result.nodes[id]!.queuedMs, node.queuedMs);
  }
  assert.equal(names.get("square"), 6);
  const ranHere = await result.getNodeResult(result.nodes.length - 1);
  assert.equal(ranHere.name, "sum");
  assert.equal(ranHere.worker, undefined, "a local task names no worker");
  assert.equal(ranHere.queuedMs, undefined);

  const graph = await get<DagDocument>(`/api/v1/dispatches/${result.dispatchId}/graph`);
  validateDag(graph);
  const squareNodes = graph.nodes.filter((n) => n.name === "square");
  assert.equal(squareNodes.length, 6);
  for (const node of squareNodes) {
    assert.ok(node.worker && byPid.has(node.worker.pid), `DAG node ${node.id} names its worker`);
    assert.ok(node.queuedMs !== undefined && node.queuedMs >= 0);
  }
  assert.equal(graph.nodes.find((n) => n.name === "sum")!.worker, undefined);
  const detail = await get<DispatchDetail>(`/api/v1/dispatches/${result.dispatchId}`);
  validateProtocol("dispatchDetail", detail);
});

test("a GPU task with no GPU worker waits visibly with the reason, then runs when a --gpus 1 worker starts", async () => {
  const handle = await ct.dispatch(gpuFlow)();
  const messages: ServerMessage[] = [];
  const watch = watchDispatch(await connect(), handle.id, (message) => messages.push(message));
  const nodeId = 0;
  /** The node's states as the subscriber saw them: from the snapshot, then each update. */
  const stream = (): NodeState[] =>
    messages.flatMap((m) =>
      m.type === "snapshot" ? [m.nodes[nodeId]!] : m.type === "update" && m.node?.id === nodeId ? [m.node] : [],
    );
  let gpuWorker: SpawnedWorker | undefined;
  try {
    // The dispatch's node state (GET) carries the reason while the executor holds the task.
    const waiting = await eventually(async () => {
      const detail = await get<DispatchDetail>(`/api/v1/dispatches/${handle.id}`);
      return detail.nodes[nodeId]!.waiting === undefined ? undefined : detail;
    });
    validateProtocol("dispatchDetail", waiting);
    const state = waiting.nodes[nodeId]!;
    assert.equal(state.status, "PENDING");
    assert.match(state.waiting!, /^no worker with 1 GPU is connected to queue "valence"/);
    assert.equal(state.worker, undefined);
    // …as do the node detail (Result.getNodeResult reads it) and the DAG document.
    const result = await ct.getResult(handle.id);
    assert.match((await result.getNodeResult(nodeId)).waiting!, /no worker with 1 GPU/);
    const graph = await get<DagDocument>(`/api/v1/dispatches/${handle.id}/graph`);
    validateDag(graph);
    assert.match(graph.nodes[nodeId]!.waiting!, /no worker with 1 GPU/);
    // Subscribers got it, in their snapshot or as an update.
    await eventually(() => (stream().some((state) => state.waiting) ? true : undefined));

    const waitedFrom = Date.now();
    gpuWorker = await startWorker(redis!.url, ["--gpus", "1", "--cpus", "1"]);
    const startedAfter = Date.now() - waitedFrom;
    const final = await ct.getResult(handle.id, { wait: true, timeoutMs: 30_000 });
    assert.equal(final.status, "COMPLETED", String(final.error?.message));
    assert.equal(final.result, gpuWorker.pid);
    const node = await final.getNodeResult(nodeId);
    assert.equal(node.waiting, undefined, "no reason once it ran");
    assert.deepEqual(node.worker, { host: gpuWorker.host, pid: gpuWorker.pid, id: gpuWorker.id });
    assert.ok(node.queuedMs! >= startedAfter, `queued ${node.queuedMs} ms, the GPU worker took ${startedAfter} ms`);
    await watch.done;
  } finally {
    watch.close();
    if (gpuWorker) workers.push(gpuWorker);
  }

  // The stream: the node waits with its reason, then the reason goes (released; running, unless the
  // task was over before its worker's start notice: a short task is reported when done), then done.
  for (const message of messages) validateProtocol("serverMessage", message);
  const updates = stream();
  const firstWait = updates.findIndex((u) => u.waiting !== undefined);
  assert.ok(firstWait >= 0, "the subscriber was told why it waits");
  const ran = updates.findIndex((u) => u.status === "RUNNING" || u.status === "COMPLETED");
  assert.ok(ran > firstWait, "it runs after it waited");
  assert.ok(
    updates.slice(ran).every((u) => u.waiting === undefined),
    "running and later states carry no reason",
  );
  assert.ok(updates.at(-1)!.worker, "the last update names the worker");
});

test("where nodes ran survives a dispatcher restart, read by one without the bullmq executor", async () => {
  const dir = temporaryDir();
  const previous = { url: process.env.VALENCE_DISPATCHER_URL, token: process.env.VALENCE_DISPATCHER_TOKEN };
  try {
    let own = await startScaleOutDispatcher(dir, bullmqExecutor());
    const result = await ct.dispatchSync(squares)(3);
    assert.equal(result.status, "COMPLETED", String(result.error?.message));
    const graphBefore = await get<DagDocument>(`/api/v1/dispatches/${result.dispatchId}/graph`);
    const id = graphBefore.nodes.find((n) => n.name === "square")!.id;
    const before = await result.getNodeResult(id);
    assert.ok(before.worker && before.queuedMs !== undefined);
    await own.close();

    own = await ct.startDispatcher({
      dataDir: dir,
      publish: false,
      executors: { local: new LocalExecutor({ maxWorkers: 1 }) },
    });
    pointClientAt(own);
    try {
      const reread = await ct.getResult(result.dispatchId);
      const after = await reread.getNodeResult(id);
      assert.deepEqual(after.worker, before.worker);
      assert.equal(after.queuedMs, before.queuedMs);
      assert.deepEqual(reread.nodes[id]!.worker, before.worker);
      const graph = await get<DagDocument>(`/api/v1/dispatches/${result.dispatchId}/graph`);
      assert.deepEqual(graph.nodes[id]!.worker, before.worker);
      assert.equal(graph.nodes[id]!.queuedMs, before.queuedMs);
    } finally {
      await own.close();
    }
  } finally {
    process.env.VALENCE_DISPATCHER_URL = previous.url;
    process.env.VALENCE_DISPATCHER_TOKEN = previous.token;
    resetConnection();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("migration 7 adds the worker columns to an existing database, and they survive reopening", () => {
  const dir = temporaryDir("valence-store-");
  try {
    // A database as the previous version left it: six migrations, a dispatch with two nodes.
    const old = new Database(join(dir, "valence.db"));
    for (const sql of migrations.slice(0, 6)) old.exec(sql);
    old.pragma("user_version = 6");
    old.exec(`INSERT INTO dispatches (id, lattice_name, status, created_at) VALUES ('d', 'flow', 'RUNNING', 1);
      INSERT INTO dispatch_specs (id, graph, lattice, inputs) VALUES ('d', '{}', '{}', x'01');
      INSERT INTO nodes (dispatch_id, node_id, kind, name, status, attempts) VALUES
        ('d', 0, 'electron', 'ranBefore', 'COMPLETED', 1), ('d', 1, 'electron', 'onWorker', 'PENDING', 0);`);
    old.close();

    const worker = { host: "gpu-box", pid: 4242, id: "gpu-box-4242-abc" };
    const store = Store.open(dir);
    assert.equal(store.getNode("d", 0)!.worker, undefined, "rows from before have no worker");
    store.apply({
      nodes: [{ dispatchId: "d", nodeId: 1, status: "COMPLETED", attempts: 1, worker, queuedMs: 1250.5 }],
    });
    store.close();

    const reopened = Store.open(dir);
    try {
      const node = reopened.getNode("d", 1)!;
      assert.deepEqual(node.worker, worker);
      assert.equal(node.queuedMs, 1250.5);
      const states = storedNodeStates(reopened.nodeStateRows("d"));
      assert.equal(states[0]!.worker, undefined);
      assert.equal(states[0]!.queuedMs, undefined);
      assert.deepEqual(states[1]!.worker, worker);
      assert.equal(states[1]!.queuedMs, 1250.5);
    } finally {
      reopened.close();
    }
    const db = new Database(join(dir, "valence.db"), { readonly: true });
    assert.equal(db.pragma("user_version", { simple: true }), migrations.length);
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
