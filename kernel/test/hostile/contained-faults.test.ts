// An error that escapes one dispatch is logged and contained (issue 18): a task on the inline executor
// runs inside the dispatcher process, and one that throws from a timer or leaves a rejection unhandled
// once took the process down with every other user's dispatches.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import * as ct from "valence-workflows";
import { forgetDispatcher, pointClientAt, temporaryDir } from "../support/dispatcher.ts";
import { cliMain as cli } from "../support/built.ts";

const careless = ct.electron(
  function careless(x: number) {
    setTimeout(() => {
      throw new Error("thrown from a timer the task left behind");
    }, 10);
    void Promise.reject(new Error("a rejection nobody handles"));
    return x;
  },
  { executor: "inline" },
);
const step = ct.electron(function step(x: number) {
  return x + 1;
});
const carelessFlow = ct.lattice(function carelessFlow(x: number) {
  return careless(x);
});
const normalFlow = ct.lattice(function normalFlow(x: number) {
  return step(step(x));
});

test("a task that throws from a timer and leaves a rejection unhandled does not take the dispatcher down", async () => {
  const dataDir = temporaryDir();
  const child = spawn(process.execPath, [cli, "start", "--foreground", "--data-dir", dataDir], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", () => output.includes("listening on") && resolve());
      child.once("exit", (code) => reject(new Error(`dispatcher exited (${code}): ${output}`)));
    });
    pointClientAt(JSON.parse(readFileSync(join(dataDir, "dispatcher.json"), "utf8")) as ct.RunningDispatcher);
    const slow = await ct.dispatch(normalFlow)(1); // another user's work, under way meanwhile
    assert.equal((await ct.dispatchSync(carelessFlow)(7)).result, 7);
    await new Promise((r) => setTimeout(r, 200)); // the timer fires
    assert.equal(child.exitCode, null, `the dispatcher died: ${output}`);
    assert.equal((await ct.getResult(slow, { wait: true })).result, 3);
    assert.equal((await ct.dispatchSync(normalFlow)(10)).result, 12);
    assert.match(output, /contained an uncaught exception: Error: thrown from a timer the task left behind/);
    assert.match(output, /contained an unhandled rejection: Error: a rejection nobody handles/);
  } finally {
    forgetDispatcher();
    child.kill("SIGTERM");
    await new Promise((resolve) => (child.exitCode !== null ? resolve(0) : child.once("exit", resolve)));
    rmSync(dataDir, { recursive: true, force: true });
  }
});

const killer = ct.electron(
  function killer(x: number) {
    process.kill(process.pid, "SIGKILL"); // what an out-of-memory death looks like from outside
    return x;
  },
  { executor: "inline" },
);
const killerFlow = ct.lattice(function killerFlow(x: number) {
  return killer(x);
});

test("a dispatch that kills the dispatcher at every resume is failed at the fourth start, which stays up", async () => {
  const dataDir = temporaryDir();
  const start = () => {
    const child = spawn(process.execPath, [cli, "start", "--foreground", "--data-dir", dataDir], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
      child.once("exit", (code, signal) => resolve(signal ?? code)),
    );
    return { child, exited, output: () => output };
  };
  let dispatcher = start();
  try {
    await new Promise<void>((resolve) =>
      dispatcher.child.stdout.on("data", () => dispatcher.output().includes("listening on") && resolve()),
    );
    pointClientAt(JSON.parse(readFileSync(join(dataDir, "dispatcher.json"), "utf8")) as ct.RunningDispatcher);
    const id = String(await ct.dispatch(killerFlow)(1));
    assert.equal(await dispatcher.exited, "SIGKILL");
    // Each start resumes it, and it kills that start too.
    for (let i = 0; i < 3; i++) {
      dispatcher = start();
      assert.equal(await dispatcher.exited, "SIGKILL", dispatcher.output());
    }
    dispatcher = start();
    await new Promise<void>((resolve, reject) => {
      dispatcher.child.stdout.on("data", () => dispatcher.output().includes("listening on") && resolve());
      void dispatcher.exited.then((how) => reject(new Error(`died again (${how}): ${dispatcher.output()}`)));
    });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(dispatcher.child.exitCode, null);
    assert.match(
      dispatcher.output(),
      new RegExp(`dispatch ${id} failed at start: not resumed: the dispatcher died 3 times`),
    );
    pointClientAt(JSON.parse(readFileSync(join(dataDir, "dispatcher.json"), "utf8")) as ct.RunningDispatcher);
    const result = await ct.getResult(id);
    assert.equal(result.status, "FAILED");
    assert.equal((await ct.dispatchSync(normalFlow)(1)).result, 3);
  } finally {
    forgetDispatcher();
    dispatcher.child.kill("SIGTERM");
    await dispatcher.exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
});
