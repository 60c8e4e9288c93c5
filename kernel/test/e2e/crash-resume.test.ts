import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { appendFileSync, readFileSync, existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { createServer, type AddressInfo } from "node:net";
import { once } from "node:events";
import * as ct from "valence-workflows";
import { resetConnection } from "#src/client/connection.js";
import { eventually, temporaryDir } from "../support/dispatcher.ts";
import { cliMain as cli } from "../support/built.ts";

function startForeground(dataDir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [cli, "start", "--foreground", "--data-dir", dataDir], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("listening on")) resolve(child);
    });
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("exit", (code) => reject(new Error(`dispatcher exited (${code}): ${output}`)));
  });
}

// Each task appends its label to a log, sleeps, and returns a value computed from its input:
// the log shows which tasks ran and how often; the result shows the run was not disturbed.
const work = ct.electron(async function work(log: string, label: string, input: number, ms: number) {
  appendFileSync(log, `${label}\n`);
  await new Promise((r) => setTimeout(r, ms));
  return input * 2 + 1;
});
const pipeline = ct.lattice(function pipeline(log: string) {
  const firsts = [work(log, "a", 1, 50), work(log, "b", 2, 50)];
  const middle = work(log, "c", 3, 400);
  const slow = [work(log, "d", 4, 400), work(log, "e", 5, 400)];
  return { firsts, end: work(log, "f", middle, 50), slow };
});

test("after kill -9 of the dispatcher, a restart resumes the dispatch without rerunning completed nodes", async () => {
  const dataDir = temporaryDir();
  const log = join(dataDir, "runs.log");
  process.env.VALENCE_DATA_DIR = dataDir;
  resetConnection();
  let child = await startForeground(dataDir);
  try {
    const id = await ct.dispatch(pipeline)(log);
    // Wait until the quick tasks are reported COMPLETED, then kill the dispatcher mid-run.
    await eventually(async () => {
      const result = await ct.getResult(id);
      return result.nodes.filter((n) => n.status === "COMPLETED" && n.attempts === 1).length >= 2 ? true : undefined;
    });
    const doneBeforeKill = (await ct.getResult(id)).nodes
      .filter((n) => n.status === "COMPLETED" && n.attempts > 0)
      .map((n) => n.id);
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));

    child = await startForeground(dataDir);
    // No resetConnection(): the client finds the restarted dispatcher (on a new port) by itself.
    const result = await ct.getResult<{ firsts: number[]; end: number; slow: number[] }>(id, {
      wait: true,
      timeoutMs: 20_000,
    });
    assert.equal(result.status, "COMPLETED", String(result));
    assert.deepEqual(
      result.result,
      { firsts: [3, 5], end: 15, slow: [9, 11] },
      "the same result as an uninterrupted run",
    );
    const runs = readFileSync(log, "utf8").trim().split("\n");
    for (const label of ["a", "b"])
      assert.equal(runs.filter((r) => r === label).length, 1, `${label} ran once: ${runs}`);
    assert.ok(doneBeforeKill.length >= 2);
    assert.deepEqual(new Set(runs), new Set(["a", "b", "c", "d", "e", "f"]));
  } finally {
    child.kill("SIGKILL");
    delete process.env.VALENCE_DATA_DIR;
    resetConnection();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

const nap = ct.electron(async function nap(ms: number) {
  await new Promise((r) => setTimeout(r, ms));
  return ms;
});
// More naps than a 2-core machine runs at once: some wait in the queue when the stop comes.
const napping = ct.electron(
  ct.lattice((ms: number) => [nap(ms), nap(ms + 1), nap(ms + 2), nap(ms + 3)], { name: "napping" }),
);
const parent = ct.lattice((ms: number) => napping(ms), { name: "parent" });

test("a graceful stop during a sublattice resumes parent and child at the next start, without a second child", async () => {
  const dataDir = temporaryDir();
  process.env.VALENCE_DATA_DIR = dataDir;
  resetConnection();
  let child = await startForeground(dataDir);
  try {
    const { id } = await ct.dispatch(parent)(1000);
    const childDispatch = await eventually(async () =>
      (await ct.listDispatches()).find((d) => d.parentId === id && d.status === "RUNNING"),
    );
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
    child = await startForeground(dataDir);
    // The client rediscovers the restarted dispatcher by itself.
    const result = await ct.getResult<number[]>(id, { wait: true, timeoutMs: 20_000 });
    assert.equal(result.status, "COMPLETED", String(result));
    assert.deepEqual(result.result, [1000, 1001, 1002, 1003]);
    const children = (await ct.listDispatches()).filter((d) => d.parentId === id);
    assert.deepEqual(
      children.map((d) => [d.id, d.status]),
      [[childDispatch.id, "COMPLETED"]],
    );
  } finally {
    child.kill("SIGKILL");
    delete process.env.VALENCE_DATA_DIR;
    resetConnection();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("valence start runs a dispatcher in the background that status reports and stop ends", async () => {
  const dataDir = temporaryDir();
  const run = (...args: string[]) =>
    new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, [cli, ...args, "--data-dir", dataDir], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      child.stdout.on("data", (c: Buffer) => (out += c.toString()));
      child.stderr.on("data", (c: Buffer) => (out += c.toString()));
      child.once("exit", (code) => resolve({ code, out }));
    });
  try {
    assert.match((await run("status")).out, /no Valence dispatcher is running/);
    const started = await run("start");
    assert.equal(started.code, 0, started.out);
    assert.match(started.out, /Valence dispatcher started at http:\/\/127\.0\.0\.1:\d+/);
    assert.match((await run("start")).out, /already running/);
    const status = await run("status");
    assert.match(status.out, /pid \d+, up \d+ s, 0 dispatch\(es\) running/);
    const runtime = join(dataDir, "dispatcher.json");
    assert.equal(
      (await import("node:fs")).statSync(runtime).mode & 0o777,
      0o600,
      "runtime file readable only by its user",
    );
    assert.match((await run("stop")).out, /stopped/);
    assert.equal(existsSync(runtime), false);
  } finally {
    await run("stop");
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("the first dispatch starts a dispatcher when none is running (the embedded default)", async () => {
  const dataDir = temporaryDir();
  process.env.VALENCE_DATA_DIR = dataDir;
  resetConnection();
  try {
    const result = await ct.dispatchSync(
      ct.lattice(() => work(join(dataDir, "l"), "x", 20, 1), { name: "embedded" }),
    )();
    assert.equal(result.result, 41);
    assert.ok(existsSync(join(dataDir, "dispatcher.json")));
  } finally {
    spawn(process.execPath, [cli, "stop", "--data-dir", dataDir], { stdio: "ignore" });
    await eventually(() => (existsSync(join(dataDir, "dispatcher.json")) ? undefined : true));
    delete process.env.VALENCE_DATA_DIR;
    resetConnection();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("a dispatcher that is down gives a clear error", async () => {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  server.close(); // nothing listens on this port now
  process.env.VALENCE_DISPATCHER_URL = `http://127.0.0.1:${port}`;
  process.env.VALENCE_DISPATCHER_TOKEN = "x";
  resetConnection();
  try {
    await assert.rejects(ct.listDispatches(), {
      name: "DispatcherError",
      message: `cannot reach the Valence dispatcher at http://127.0.0.1:${port} (ECONNREFUSED). Start one with \`valence start\`, or unset VALENCE_DISPATCHER_URL to let Valence start its own.`,
    });
  } finally {
    delete process.env.VALENCE_DISPATCHER_URL;
    delete process.env.VALENCE_DISPATCHER_TOKEN;
    resetConnection();
  }
});
