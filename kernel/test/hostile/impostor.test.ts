// Clients prove they reached their own dispatcher before they send it the token (issue 18): after a
// kill -9, dispatcher.json stays behind, and another local user may have bound its port since.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { rmSync } from "node:fs";
import { join } from "node:path";
import * as ct from "valence-workflows";
import { connect, resetConnection } from "#src/client/connection.js";
import { writeRuntimeFile } from "#src/shared/runtime-file.js";
import { forgetDispatcher, temporaryDir } from "../support/dispatcher.ts";
import { cliMain as cli } from "../support/built.ts";

const TOKEN = "the-owners-token-aaaaaaaaaaaaaaaa";

/** Another user's server on a free port that answers everything as a dispatcher would, and keeps what it hears. */
async function impostor(): Promise<{ url: string; heard: string[]; close(): Promise<void> }> {
  const heard: string[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      heard.push(`${req.method} ${req.url} ${JSON.stringify(req.headers)} ${body}`);
      res.writeHead(200, { "content-type": "application/json" });
      // A forged proof, a forged status and a forged dispatch id: whatever a client might accept.
      res.end(JSON.stringify({ proof: "x".repeat(43), pid: 1, dispatchId: "forged", executors: {}, memory: {} }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    heard,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ["ignore", "pipe", "pipe"], env });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) => child.once("exit", (code) => resolve({ code, output })));
}

const leaked = (heard: string[]): string[] => heard.filter((line) => line.includes(TOKEN) || line.startsWith("POST"));

test("a client refuses an impostor on the port a killed dispatcher's runtime file names, and never sends it the token", async () => {
  const dataDir = temporaryDir();
  const fake = await impostor();
  // The runtime file's process still exists (here: this one), so it is not merely stale.
  writeRuntimeFile(join(dataDir, "dispatcher.json"), {
    url: fake.url,
    token: TOKEN,
    pid: process.pid,
    startedAt: Date.now(),
    dataDir,
  });
  try {
    resetConnection();
    await assert.rejects(connect({ dataDir, autoStart: false }), /is not your Valence dispatcher/);
    const status = await runCli(["status", "--data-dir", dataDir], { ...process.env, VALENCE_DISPATCHER_URL: "" });
    assert.notEqual(status.code, 0);
    assert.match(status.output, /is not your Valence dispatcher/);
    assert.deepEqual(leaked(fake.heard), [], "the impostor heard the token or a dispatch");
    assert.ok(fake.heard.length > 0, "the impostor was asked to prove itself");
  } finally {
    await fake.close();
    resetConnection();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("a script pointed at an impostor by VALENCE_DISPATCHER_URL does not send it the token or its dispatch", async () => {
  const fake = await impostor();
  process.env.VALENCE_DISPATCHER_URL = fake.url;
  process.env.VALENCE_DISPATCHER_TOKEN = TOKEN;
  resetConnection();
  const secret = ct.electron(function secret(x: number) {
    return x * 42;
  });
  const flow = ct.lattice(function flow(x: number) {
    return secret(x);
  });
  try {
    await assert.rejects(ct.dispatch(flow)(1), /is not your Valence dispatcher/);
    assert.deepEqual(leaked(fake.heard), []);
  } finally {
    forgetDispatcher();
    await fake.close();
  }
});

test("a runtime file whose process is gone is stale: its port is not asked, a new dispatcher is looked for", async () => {
  const dataDir = temporaryDir();
  const fake = await impostor();
  writeRuntimeFile(join(dataDir, "dispatcher.json"), {
    url: fake.url,
    token: TOKEN,
    pid: 2 ** 22 + 12345, // no such process
    startedAt: Date.now(),
    dataDir,
  });
  try {
    resetConnection();
    await assert.rejects(connect({ dataDir, autoStart: false }), /no Valence dispatcher is running/);
    assert.deepEqual(fake.heard, []);
  } finally {
    await fake.close();
    resetConnection();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("the real dispatcher proves itself and is used", async () => {
  const dataDir = temporaryDir();
  const dispatcher = await ct.startDispatcher({ dataDir });
  try {
    resetConnection();
    const connection = await connect({ dataDir, autoStart: false });
    assert.equal(connection.url, dispatcher.url);
  } finally {
    await dispatcher.close();
    resetConnection();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
