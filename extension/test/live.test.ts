// The extension's live state machine (src/live.ts) in Node, against a real dispatcher: a snapshot,
// then updates handed over once per frame, a dropped socket resumed after the last sequence number
// seen (nothing missed, nothing applied twice), and a dispatcher that does not answer shown as offline.
// The browser's WebSocket and animation frames are Node's `ws` and a timer.
import { test } from "node:test";
import assert from "node:assert/strict";
import WebSocket from "ws";
import * as ct from "valence-workflows";
import { readTokenFor } from "../../kernel/dist/shared/runtime-file.js";
import { useDispatcher } from "../../kernel/test/support/dispatcher.ts";
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
