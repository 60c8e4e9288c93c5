import { test } from "node:test";
import assert from "node:assert/strict";
import WebSocket from "ws";
import * as ct from "valence-workflows";
import { useDispatcher } from "../support/dispatcher.ts";
import { readTokenFor } from "#src/shared/runtime-file.js";

const dispatcher = useDispatcher();

const step = ct.electron(async function step(x: number) {
  await new Promise((r) => setTimeout(r, 5));
  return x + 1;
});
const chain = ct.lattice(function chain(n: number) {
  let x = step(0);
  for (let i = 1; i < n; i++) x = step(x);
  return x;
});

/** `token: null` sends no authorization header. */
function http(path: string, init: RequestInit = {}, token: string | null = dispatcher.current().token) {
  return fetch(`${dispatcher.current().url}${path}`, {
    ...init,
    headers: {
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      ...(init.headers as Record<string, string>),
    },
  });
}

function openSocket(
  query = `?token=${dispatcher.current().token}`,
  headers: Record<string, string> = {},
): Promise<WebSocket> {
  const ws = new WebSocket(`${dispatcher.current().url.replace("http", "ws")}/api/v1/events${query}`, { headers });
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve(ws));
    ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once("error", reject);
  });
}

interface Message {
  type: string;
  seq?: number;
  dispatch?: { status: string };
  node?: { id: number; status: string };
  nodes?: unknown[];
  message?: string;
}

/** Every message received, a batch unpacked into its updates; `frames` counts what came over the wire. */
function collect(ws: WebSocket): Message[] & { frames: number; batches: number } {
  const messages = Object.assign([] as Message[], { frames: 0, batches: 0 });
  ws.on("message", (data) => {
    const message = JSON.parse(data.toString()) as Message & { updates?: Message[] };
    messages.frames += 1;
    if (message.type === "batch") {
      messages.batches += 1;
      messages.push(...message.updates!);
    } else messages.push(message);
  });
  return messages;
}

async function until(messages: Message[], done: (m: Message[]) => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done(messages)) {
    if (Date.now() > deadline) throw new Error(`timed out; got ${JSON.stringify(messages.slice(-3))}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const finished = (ms: Message[]) =>
  ms.some((m) => m.dispatch && ["COMPLETED", "FAILED", "CANCELLED"].includes(m.dispatch.status));

test("requests and websockets without the right token are refused", async () => {
  assert.equal((await http("/api/v1/status", {}, null)).status, 401);
  assert.equal((await http("/api/v1/status", {}, "wrong")).status, 401);
  assert.equal((await http("/api/v1/status")).status, 200);
  await assert.rejects(openSocket(""), /HTTP 401/);
  await assert.rejects(openSocket("?token=wrong"), /HTTP 401/);
});

test("a browser origin that is not allowed is refused; loopback origins are allowed", async () => {
  assert.equal((await http("/api/v1/status", { headers: { origin: "https://evil.example" } })).status, 403);
  assert.equal((await http("/api/v1/status", { headers: { origin: "http://127.0.0.1:8888" } })).status, 200);
  await assert.rejects(openSocket(undefined, { origin: "https://evil.example" }), /HTTP 403/);
});

test("the read credential watches (GET, websocket) but cannot change anything", async () => {
  const read = readTokenFor(dispatcher.current().token);
  const id = String(await ct.dispatch(chain)(2));
  assert.equal((await http(`/api/v1/dispatches/${id}/graph`, {}, read)).status, 200);
  const cancel = await http(`/api/v1/dispatches/${id}/cancel`, { method: "POST", body: "{}" }, read);
  assert.equal(cancel.status, 403);
  assert.match(((await cancel.json()) as { error: string }).error, /read credential only allows GET/);
  assert.equal((await http("/api/v1/shutdown", { method: "POST" }, read)).status, 403);
  const ws = await openSocket(`?token=${read}`);
  const messages = collect(ws);
  ws.send(JSON.stringify({ type: "subscribe", dispatchId: id }));
  await until(messages, finished);
  ws.close();
  assert.equal((await ct.getResult(id, { wait: true })).result, 2);
});

test("browsers on loopback origins get CORS headers and an answer to their preflight", async () => {
  const origin = "http://127.0.0.1:8888";
  // A preflight carries no credentials.
  const preflight = await fetch(`${dispatcher.current().url}/api/v1/dispatches`, {
    method: "OPTIONS",
    headers: { origin },
  });
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers.get("access-control-allow-origin"), origin);
  assert.match(preflight.headers.get("access-control-allow-headers") ?? "", /authorization/);
  const listed = await http("/api/v1/dispatches", { headers: { origin } });
  assert.equal(listed.headers.get("access-control-allow-origin"), origin);
  const plain = await http("/api/v1/dispatches");
  assert.equal(plain.headers.get("access-control-allow-origin"), null);
});

test("a subscriber gets a snapshot, then every update in order with dense sequence numbers", async () => {
  const id = await ct.dispatch(chain)(5);
  const ws = await openSocket();
  const messages = collect(ws);
  ws.send(JSON.stringify({ type: "subscribe", dispatchId: id }));
  await until(messages, finished);
  ws.close();
  assert.equal(messages[0]!.type, "snapshot");
  const seqs = messages.slice(1).map((m) => m.seq!);
  assert.deepEqual(
    seqs,
    seqs.map((_, i) => messages[0]!.seq! + 1 + i),
  );
});

test("updates ready at once arrive as one batch frame, still dense and in order", async () => {
  const id = await ct.dispatch(chain)(30);
  await ct.getResult(id, { wait: true });
  const ws = await openSocket();
  const messages = collect(ws);
  // Replaying everything after seq 0 makes every update ready in the same turn.
  ws.send(JSON.stringify({ type: "subscribe", dispatchId: id, afterSeq: 0 }));
  await until(messages, finished);
  ws.close();
  // At least one update per node (a node that changed twice between two commits sends one, README),
  // each node's last one COMPLETED.
  const last = new Map(messages.filter((m) => m.node).map((m) => [m.node!.id, m.node!.status]));
  assert.equal(last.size, 30, `${messages.length} updates`);
  assert.ok([...last.values()].every((status) => status === "COMPLETED"));
  assert.equal(messages.frames, 1, `${messages.frames} frames for ${messages.length} updates`);
  assert.equal(messages.batches, 1);
  assert.deepEqual(
    messages.map((m) => m.seq),
    messages.map((_, i) => i + 1),
  );
});

test("a client that reconnects with its last sequence number gets exactly the updates it missed", async () => {
  const id = await ct.dispatch(chain)(40);
  const first = await openSocket();
  const before = collect(first);
  first.send(JSON.stringify({ type: "subscribe", dispatchId: id, afterSeq: 0 }));
  await until(before, (ms) => ms.length >= 10);
  first.removeAllListeners("message"); // what arrives from here on counts as missed
  first.close();
  const lastSeen = before.at(-1)!.seq!;
  await new Promise((r) => setTimeout(r, 100)); // updates happen while disconnected

  const second = await openSocket();
  const afterReconnect = collect(second);
  second.send(JSON.stringify({ type: "subscribe", dispatchId: id, afterSeq: lastSeen }));
  await until(afterReconnect, finished);
  second.close();
  const all = [...before.map((m) => m.seq!), ...afterReconnect.map((m) => m.seq!)];
  assert.deepEqual(
    all,
    all.map((_, i) => i + 1),
    "no gap and no duplicate across the reconnect",
  );
  const detail = (await (await http(`/api/v1/dispatches/${id}`)).json()) as { seq: number };
  assert.equal(all.at(-1), detail.seq);
});

test("1,000 malformed messages over HTTP and the websocket get clear errors and crash nothing", async () => {
  const bodies = [
    "{",
    "null",
    "[]",
    '{"graph": 1}',
    '{"graph": {}, "lattice": {}, "inputs": "!!"}',
    JSON.stringify({
      graph: { version: 1, latticeName: "x", electrons: [], nodes: [{ id: 5 }], edges: [], output: {} },
      lattice: {},
      inputs: "",
    }),
    JSON.stringify({
      graph: { version: 1, latticeName: "x", electrons: [], nodes: [], edges: [{ source: 0, target: 9 }] },
      lattice: {},
      inputs: "",
    }),
    "x".repeat(10_000),
  ];
  const wsMessages = [
    "{",
    "42",
    '{"type":"subscribe"}',
    '{"type":"subscribe","dispatchId":"nope"}',
    '{"type":"dance"}',
    "[".repeat(5000),
  ];
  const ws = await openSocket();
  const replies = collect(ws);
  let httpErrors = 0;
  for (let i = 0; i < 500; i++) {
    const res = await http("/api/v1/dispatches", {
      method: "POST",
      body: bodies[i % bodies.length]!,
      headers: { "content-type": "application/json" },
    });
    const body = (await res.json()) as { error: string };
    assert.ok(res.status === 400 && body.error.length > 0, `${res.status} ${JSON.stringify(body)}`);
    httpErrors++;
    ws.send(wsMessages[i % wsMessages.length]!);
  }
  await until(replies, (ms) => ms.length >= 500);
  assert.equal(httpErrors, 500);
  assert.ok(replies.every((m) => m.type === "error" && m.message!.length > 0));
  assert.match(replies[0]!.message!, /not valid JSON/);
  assert.match(replies[3]!.message!, /no dispatch with id "nope"/);
  ws.close();
  assert.equal((await http("/api/v1/nope")).status, 404);
  assert.equal((await http("/api/v1/dispatches", { method: "DELETE" })).status, 405);
  // Still serving, and still running workflows.
  assert.equal((await ct.dispatchSync(chain)(2)).result, 2);
});

test("an oversized websocket message closes that connection only", async () => {
  const ws = await openSocket();
  const closed = new Promise<number>((resolve) => ws.once("close", (code) => resolve(code)));
  ws.send("x".repeat(2 * 1024 * 1024));
  assert.equal(await closed, 1009);
  assert.equal((await http("/api/v1/status")).status, 200);
});
