// How the dispatcher starts on a data directory (issue 18): a start that fails exits and leaves no
// listener behind; the directory and every file in it are private to their owner, even one an older
// Valence made readable to everyone.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as ct from "valence-workflows";
import { processAlive, readRuntimeFile } from "#src/shared/runtime-file.js";
import { temporaryDir } from "../support/dispatcher.ts";
import { callDispatcher, dispatchBody } from "../support/requests.ts";
import { cliMain as cli } from "../support/built.ts";

const twice = ct.electron(function twice(x: number) {
  return 2 * x;
});
const flow = ct.lattice(function flow(x: number) {
  return twice(x);
});

test("a start that fails after listening exits with an error instead of listening on", async () => {
  const dataDir = temporaryDir();
  // The runtime file cannot be written (a directory stands in its place): the start fails late.
  mkdirSync(join(dataDir, "dispatcher.json"));
  const child = spawn(process.execPath, [cli, "start", "--foreground", "--data-dir", dataDir], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const code = await Promise.race([
    exit,
    new Promise<string>((resolve) => setTimeout(() => resolve("still running"), 15_000)),
  ]);
  if (code === "still running") child.kill("SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
  assert.equal(code, 1, output);
  assert.match(output, /^valence: .*dispatcher\.json/m);
});

test("an existing data directory readable by others is made private at start: 0700, every file 0600", async () => {
  const dataDir = temporaryDir();
  // As an older Valence left it: the store, its WAL and the log readable by every user.
  let dispatcher = await ct.startDispatcher({ dataDir, publish: false });
  const res = await callDispatcher(dispatcher, "POST", "/api/v1/dispatches", dispatchBody(flow as never, 2));
  await dispatcher.engine.whenFinished(res.body.dispatchId as string);
  await dispatcher.close();
  writeFileSync(join(dataDir, "dispatcher.log"), "log\n");
  // A volume's files are the tasks' own: they keep their modes (the volumes directory shuts others out).
  mkdirSync(join(dataDir, "volumes", "team"), { recursive: true });
  writeFileSync(join(dataDir, "volumes", "team", "run.sh"), "#!/bin/sh\n", { mode: 0o755 });
  chmodSync(join(dataDir, "volumes", "team", "run.sh"), 0o755);
  chmodSync(dataDir, 0o755);
  for (const name of readdirSync(dataDir)) {
    const path = join(dataDir, name);
    chmodSync(path, statSync(path).isDirectory() ? 0o755 : 0o644);
  }
  dispatcher = await ct.startDispatcher({ dataDir, publish: false });
  try {
    await dispatcher.engine.whenFinished(
      (await callDispatcher(dispatcher, "POST", "/api/v1/dispatches", dispatchBody(flow as never, 3))).body
        .dispatchId as string,
    );
    assert.equal(statSync(dataDir).mode & 0o777, 0o700);
    const names = readdirSync(dataDir);
    for (const name of ["valence.db", "valence.db-wal", "dispatcher.log"]) assert.ok(names.includes(name), name);
    assert.equal(statSync(join(dataDir, "volumes", "team", "run.sh")).mode & 0o777, 0o755);
    for (const name of names) {
      const stat = statSync(join(dataDir, name));
      assert.equal(
        stat.mode & 0o777,
        stat.isDirectory() ? 0o700 : 0o600,
        `${name}: ${(stat.mode & 0o777).toString(8)}`,
      );
    }
  } finally {
    await dispatcher.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("a new data directory's store and WAL are created 0600", async () => {
  const dataDir = join(temporaryDir(), "fresh");
  const dispatcher = await ct.startDispatcher({ dataDir, publish: false });
  try {
    for (const name of ["valence.db", "valence.db-wal"]) {
      assert.ok(existsSync(join(dataDir, name)), name);
      assert.equal(statSync(join(dataDir, name)).mode & 0o777, 0o600, name);
    }
    assert.equal(statSync(dataDir).mode & 0o777, 0o700);
  } finally {
    await dispatcher.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("valence start right after the dispatcher was killed with kill -9 starts a new one (its runtime file is stale)", async () => {
  const dataDir = temporaryDir();
  const start = (): Promise<{ code: number | null; output: string }> =>
    new Promise((resolve) => {
      execFile(process.execPath, [cli, "start", "--data-dir", dataDir], { timeout: 30_000 }, (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, output: stdout + stderr }),
      );
    });
  const first = await start();
  assert.equal(first.code, 0, first.output);
  const killed = readRuntimeFile(join(dataDir, "dispatcher.json"));
  assert.ok(killed, "the first dispatcher published its runtime file");
  process.kill(killed.pid, "SIGKILL");
  // At once: the killed process may still be a zombie that init has not reaped.
  const second = await start();
  const running = readRuntimeFile(join(dataDir, "dispatcher.json"));
  try {
    assert.equal(second.code, 0, second.output);
    assert.ok(running && running.pid !== killed.pid, "a new dispatcher published its runtime file");
  } finally {
    if (running && running.pid !== killed.pid) process.kill(running.pid, "SIGTERM");
  }
  rmSync(dataDir, { recursive: true, force: true });
});

test("a runtime file that is not a RuntimeFile (schema/runtime.schema.json) counts as no dispatcher: valence start replaces it", async () => {
  const dataDir = temporaryDir();
  const file = join(dataDir, "dispatcher.json");
  const garbled = [
    "{ not json",
    JSON.stringify({ url: "http://127.0.0.1:9", token: "t" }),
    JSON.stringify({ url: "http://127.0.0.1:9", token: "t", pid: "12", startedAt: 1, dataDir }),
    JSON.stringify({ url: "file:///etc", token: "t", pid: 12, startedAt: 1, dataDir }),
    JSON.stringify({ url: "http://127.0.0.1:9", token: "  ", pid: 12, startedAt: 1, dataDir }),
  ];
  for (const text of garbled) {
    writeFileSync(file, text, { mode: 0o600 });
    assert.equal(readRuntimeFile(file), undefined, text);
  }
  writeFileSync(
    file,
    JSON.stringify({ url: "http://127.0.0.1:9", token: "t", pid: 4_000_000, startedAt: 1, dataDir, next: 1 }),
  );
  assert.deepEqual(readRuntimeFile(file)?.pid, 4_000_000, "keys it does not name are allowed");
  writeFileSync(file, garbled[2]!, { mode: 0o600 });
  const started = await new Promise<{ code: number; output: string }>((resolve) =>
    execFile(process.execPath, [cli, "start", "--data-dir", dataDir], { timeout: 30_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? 1 : 0, output: stdout + stderr }),
    ),
  );
  const running = readRuntimeFile(file);
  try {
    assert.equal(started.code, 0, started.output);
    assert.ok(running && processAlive(running.pid), "a new dispatcher published a runtime file");
  } finally {
    if (running) process.kill(running.pid, "SIGTERM");
  }
  rmSync(dataDir, { recursive: true, force: true });
});

test("a runtime file whose pid now belongs to a process started after it was written is not trusted", () => {
  assert.equal(processAlive(process.pid), true);
  assert.equal(processAlive(process.pid, Date.now()), true, "this process started before now");
  if (existsSync("/proc/self/stat"))
    assert.equal(processAlive(process.pid, Date.now() - 3_600_000), false, "this process started after that file");
});
