// What other local users and web pages can do with the dispatcher's port (issue 18): rebound DNS
// names, floods of idle connections, malformed paths. Each is refused without hurting the owner.
import { test } from "node:test";
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { request } from "node:http";
import { rmSync } from "node:fs";
import WebSocket from "ws";
import * as ct from "valence-workflows";
import { Store } from "#src/dispatcher/store/store.js";
import { eventually, temporaryDir, useDispatcher } from "../support/dispatcher.ts";
import { callDispatcher } from "../support/requests.ts";

const dispatcher = useDispatcher();

/** A request with a `Host` of our choosing (fetch will not let one set it). */
function withHost(host: string, path: string): Promise<number> {
  const { port } = new URL(dispatcher.current().url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path, headers: { host, authorization: `Bearer ${dispatcher.current().token}` } },
      (res) => {
        res.resume();
        resolve(res.statusCode!);
      },
    );
    req.on("error", reject);
    req.end();
  });
}

test("a web page on a name rebound to 127.0.0.1 (DNS rebinding) is refused, even with the token", async () => {
  const { port } = new URL(dispatcher.current().url);
  assert.equal(await withHost(`evil.example:${port}`, "/api/v1/status"), 421);
  assert.equal(await withHost(`127.0.0.1.nip.io:${port}`, "/api/v1/status"), 421);
  assert.equal(await withHost(`localhost:${port}`, "/api/v1/status"), 200);
  assert.equal(await withHost(`127.0.0.1:${port}`, "/api/v1/status"), 200);
  const ws = new WebSocket(`${dispatcher.current().url.replace("http", "ws")}/api/v1/events`, {
    headers: { host: `evil.example:${port}`, authorization: `Bearer ${dispatcher.current().token}` },
  });
  const status = await new Promise<number>((resolve) => {
    ws.once("unexpected-response", (_req, res) => resolve(res.statusCode!));
    ws.once("open", () => resolve(101));
    ws.once("error", () => undefined);
  });
  ws.terminate();
  assert.equal(status, 421);
});

test("a malformed percent-encoding in a path answers 400, not 500", async () => {
  for (const path of ["/api/v1/dispatches/%E0%A4%A", "/api/v1/dispatches/%", "/api/v1/dispatches/%ZZ/graph"]) {
    const res = await callDispatcher(dispatcher.current(), "GET", path);
    assert.equal(res.status, 400, `${path}: ${JSON.stringify(res.body)}`);
    assert.match(res.body.error!, /malformed percent-encoding/);
  }
});

test("300 idle connections from another user do not keep the owner out", async () => {
  const { port } = new URL(dispatcher.current().url);
  const idle: Socket[] = [];
  const closed = new Set<Socket>();
  try {
    for (let i = 0; i < 300; i++) {
      const socket = connect(Number(port), "127.0.0.1");
      socket.on("error", () => undefined);
      socket.on("close", () => closed.add(socket));
      idle.push(socket);
    }
    await Promise.all(
      idle.map((s) => new Promise((resolve) => (s.connecting ? s.once("connect", resolve) : resolve(0)))),
    );
    // A half-sent request on some: slow clients hold a connection the longest.
    for (const socket of idle.slice(0, 100)) socket.write("GET /api/v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    const started = Date.now();
    for (let i = 0; i < 20; i++) {
      const res = await callDispatcher(dispatcher.current(), "GET", "/api/v1/status");
      assert.equal(res.status, 200);
    }
    assert.ok(Date.now() - started < 5_000, `the owner waited ${Date.now() - started} ms`);
    // The flood was cut to the cap of unauthenticated connections.
    await eventually(() => (idle.length - closed.size <= 64 ? true : undefined), 5_000).catch(() => undefined);
    assert.ok(idle.length - closed.size <= 64, `${idle.length - closed.size} idle connections still open`);
  } finally {
    for (const socket of idle) socket.destroy();
  }
});

test("one websocket connection follows at most 1,000 dispatches at once", async () => {
  const dataDir = temporaryDir();
  const store = Store.open(dataDir);
  const ids = Array.from({ length: 1001 }, (_, i) => `done-${i}`);
  store.transaction((writer) => {
    for (const id of ids) {
      writer.insertDispatch({
        id,
        latticeName: "x",
        graph: "{}",
        lattice: "{}",
        inputs: new Uint8Array(),
        nodes: [],
        createdAt: 1,
      });
      writer.patchDispatch({ id, status: "COMPLETED", endedAt: 2 });
    }
  });
  store.close();
  const own = await ct.startDispatcher({ dataDir, publish: false });
  const ws = new WebSocket(`${own.url.replace("http", "ws")}/api/v1/events`, {
    headers: { authorization: `Bearer ${own.token}` },
  });
  try {
    await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
    const errors: string[] = [];
    ws.on("message", (data) => {
      const message = JSON.parse(data.toString()) as { type: string; message?: string };
      if (message.type === "error") errors.push(message.message!);
    });
    for (const id of ids) ws.send(JSON.stringify({ type: "subscribe", dispatchId: id, afterSeq: 0 }));
    await eventually(() => (errors.length ? true : undefined));
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /follows at most 1000 dispatches at once/);
  } finally {
    ws.close();
    await own.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
