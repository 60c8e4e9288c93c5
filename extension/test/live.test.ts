// The extension's live state machine (src/live.ts) in Node, against a real dispatcher: a snapshot,
// then updates handed over once per frame, a dropped socket resumed after the last sequence number
// seen (nothing missed, nothing applied twice), and a dispatcher that does not answer shown as offline;
// then, from a plain websocket server, the frames a dispatcher sends rarely: batches, stale and
// duplicate updates, garbage, an error.
// The browser's WebSocket and animation frames are Node's `ws` and a timer.
import { test } from "node:test";
import assert from "node:assert/strict";
import WebSocket, { WebSocketServer } from "ws";
import * as ct from "valence-workflows";
import { readTokenFor, useDispatcher } from "../../kernel/test/support/dispatcher.ts";
import { syncSchema } from "../scripts/sync-schema.mjs";

syncSchema(); // src/ imports the schema copies the build makes
const { DispatchWatch } = await import("../src/live.ts");
type LiveState = Parameters<ConstructorParameters<typeof DispatchWatch>[2]["state"]>[0];

/** Like a browser's: a failed connection fires `onclose` (and `onerror`), never an uncaught error. */
class BrowserWebSocket extends WebSocket {
  constructor(url: string) {
    super(url);
    this.on("error", () => undefined);
  }
}

Object.assign(globalThis, {
  WebSocket: BrowserWebSocket,
  requestAnimationFrame: (callback: () => void) => setTimeout(callback, 16) as unknown as number,
  cancelAnimationFrame: (frame: number) => clearTimeout(frame),
});

const running = useDispatcher();

/** A DispatcherLink as a kernel would set it up: one fixed address. */
function linkTo(url: string, token: string) {
  return {
    changed: { connect: () => true, disconnect: () => true },
    eventsUrl: () => `${url.replace(/^http/, "ws")}/api/v1/events?token=${readTokenFor(token)}`,
    refresh: async () => undefined,
  } as unknown as ConstructorParameters<typeof DispatchWatch>[0];
}

/** What a view keeps: every node's newest state, the dispatch, the states it went through. */
function viewOf() {
  const nodes = new Map<number, { status: string }>();
  const states: LiveState[] = [];
  let status = "";
  let snapshots = 0;
  let final: () => void = () => undefined;
  const ended = new Promise<void>((resolve) => (final = resolve));
  const listener = {
    snapshot(dispatch: { status: string }, all: Array<{ id: number; status: string }>) {
      snapshots++;
      status = dispatch.status;
      for (const node of all) nodes.set(node.id, node);
    },
    updates(changed: Array<{ id: number; status: string }>, dispatch: { status: string } | undefined) {
      for (const node of changed) nodes.set(node.id, node);
      if (dispatch) status = dispatch.status;
    },
    state(state: LiveState) {
      states.push(state);
      if (state === "final" || state === "offline") final();
    },
  };
  return { listener, nodes, states, ended, status: () => status, snapshots: () => snapshots };
}

const nap = ct.electron(async function nap(x: number) {
  await new Promise((resolve) => setTimeout(resolve, 150));
  return x + 1;
});
const chain = ct.lattice(function chain(x: number) {
  return nap(nap(nap(nap(nap(nap(x))))));
});

test("a dispatch followed live: a snapshot, then updates, ending final with the states getResult has", async () => {
  const { url, token } = running.current();
  const dispatch = await ct.dispatch(chain)(0);
  const view = viewOf();
  const watch = new DispatchWatch(linkTo(url, token), String(dispatch), view.listener as never);
  await view.ended;
  watch.dispose();
  assert.deepEqual(view.states, ["live", "final"]);
  assert.equal(view.status(), "COMPLETED");
  const result = await ct.getResult(dispatch, { wait: true });
  for (const node of result.nodes) assert.equal(view.nodes.get(node.id)?.status, node.status, `node ${node.id}`);
});

test("a socket dropped mid-run resubscribes after the last update seen and misses nothing", async () => {
  const { url, token } = running.current();
  const dispatch = await ct.dispatch(chain)(0);
  const view = viewOf();
  const watch = new DispatchWatch(linkTo(url, token), String(dispatch), view.listener as never);
  await new Promise((resolve) => setTimeout(resolve, 400));
  (watch as unknown as { socket: WebSocket }).socket.terminate(); // as a network drop does
  await view.ended;
  watch.dispose();
  assert.deepEqual(view.states, ["live", "reconnecting", "live", "final"]);
  assert.equal(view.snapshots(), 1, "the resumed subscription sends the missed updates, not a snapshot");
  const result = await ct.getResult(dispatch, { wait: true });
  assert.equal(view.status(), "COMPLETED");
  for (const node of result.nodes) assert.equal(view.nodes.get(node.id)?.status, node.status, `node ${node.id}`);
});

test("a dispatcher that does not answer is shown as offline after a few tries", { timeout: 30_000 }, async () => {
  const view = viewOf();
  const watch = new DispatchWatch(linkTo("http://127.0.0.1:9", "nobody"), "no-such-dispatch", view.listener as never);
  await view.ended;
  watch.dispose();
  assert.deepEqual(view.states, ["reconnecting", "reconnecting", "reconnecting", "offline"]);
});

/** A websocket server on loopback that answers a subscription with `frames`, as they are. */
async function framesServer(frames: readonly unknown[]): Promise<{ url: string; close: () => Promise<void> }> {
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise((resolve) => server.once("listening", resolve));
  server.on("connection", (socket) =>
    socket.once("message", () => {
      for (const frame of frames) socket.send(typeof frame === "string" ? frame : JSON.stringify(frame));
    }),
  );
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

test("frames the state machine must sort out: a batch unpacked, updates it already has and garbage dropped, the newest state per node kept", async () => {
  const dispatch = (status: string) => ({ id: "d", latticeName: "f", status, createdAt: 1 });
  const node = (id: number, status: string) => ({ id, status, attempts: status === "PENDING" ? 0 : 1 });
  const update = (seq: number, n?: ReturnType<typeof node>, d?: ReturnType<typeof dispatch>) => ({
    type: "update",
    dispatchId: "d",
    seq,
    ...(n ? { node: n } : {}),
    ...(d ? { dispatch: d } : {}),
  });
  const server = await framesServer([
    { type: "snapshot", dispatchId: "d", seq: 2, dispatch: dispatch("RUNNING"), nodes: [node(0, "RUNNING")] },
    update(2, node(0, "FAILED")), // already in the snapshot: stale
    "not json",
    { type: "batch", dispatchId: "d", updates: [update(3, node(0, "COMPLETED")), update(4, node(1, "RUNNING"))] },
    update(4, node(0, "FAILED")), // a second seq 4, after the first: dropped, or node 0 would end FAILED
    update(5, node(1, "COMPLETED"), dispatch("COMPLETED")),
  ]);
  const view = viewOf();
  const watch = new DispatchWatch(linkTo(server.url, "t"), "d", view.listener as never);
  await view.ended;
  watch.dispose();
  await server.close();
  assert.deepEqual(view.states, ["live", "final"]);
  assert.equal(view.snapshots(), 1);
  assert.equal(view.status(), "COMPLETED");
  assert.deepEqual(
    [...view.nodes].map(([id, n]) => [id, n.status]),
    [
      [0, "COMPLETED"],
      [1, "COMPLETED"],
    ],
  );
});

test("an error frame (a dispatch the dispatcher does not know) ends the watch as offline, with its message", async () => {
  const server = await framesServer([{ type: "error", dispatchId: "gone", message: 'no dispatch with id "gone"' }]);
  const view = viewOf();
  const reasons: Array<string | undefined> = [];
  const listener = {
    ...view.listener,
    state: (state: LiveState, why?: string) => (reasons.push(why), view.listener.state(state)),
  };
  const watch = new DispatchWatch(linkTo(server.url, "t"), "gone", listener as never);
  await view.ended;
  watch.dispose();
  await server.close();
  assert.deepEqual(view.states, ["live", "offline"]);
  assert.equal(reasons.at(-1), 'no dispatch with id "gone"');
});
