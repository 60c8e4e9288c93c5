import { test } from "node:test";
import assert from "node:assert/strict";
import { deserialize } from "node:v8";
import * as ct from "valence";
import { InlineExecutor, LocalExecutor, executorConformance } from "../../dist/executors/index.js";
import { taskFor } from "../../dist/executors/conformance.js";

executorConformance("inline", () => new InlineExecutor(), { capturesLogs: false });
executorConformance("local", () => new LocalExecutor({ cpus: 2 }));

const hog = ct.electron(function hog() {
  const keep: number[][] = [];
  for (;;) keep.push(new Array(1_000_000).fill(1));
});
const quit = ct.electron(function quit() {
  process.exit(3);
});
const spin = ct.electron(function spin() {
  for (;;) {
    /* busy */
  }
});
const chatter = ct.electron(async function chatter(label: string) {
  for (let i = 0; i < 20; i++) {
    console.log(`${label} ${i}`);
    await new Promise((r) => setTimeout(r, 1));
  }
  return label;
});
const ok = ct.electron(function ok() {
  return "fine";
});

test("a task over its memory limit fails alone, and the next task runs", async () => {
  const executor = new LocalExecutor({ cpus: 2 });
  try {
    const task = { ...taskFor(hog, []), resources: { cpus: 1, memoryMB: 64 } };
    const outcome = await executor.submit(task, new AbortController().signal);
    assert.ok(!outcome.ok);
    assert.match(outcome.error.message, /electron "hog" ran out of memory \(limit 64 MB\)/);
    const next = await executor.submit(taskFor(ok, []), new AbortController().signal);
    assert.ok(next.ok && deserialize(next.output) === "fine");
  } finally {
    await executor.close();
  }
});

test("process.exit inside a task fails that task only", async () => {
  const executor = new LocalExecutor({ cpus: 2 });
  try {
    const outcome = await executor.submit(taskFor(quit, []), new AbortController().signal);
    assert.ok(!outcome.ok);
    assert.match(outcome.error.message, /electron "quit" ended its worker \(exit code 3\)/);
    assert.ok((await executor.submit(taskFor(ok, []), new AbortController().signal)).ok);
  } finally {
    await executor.close();
  }
});

test("aborting a busy synchronous task terminates its worker promptly", async () => {
  const executor = new LocalExecutor({ cpus: 2 });
  try {
    const controller = new AbortController();
    const pending = executor.submit(taskFor(spin, []), controller.signal);
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    controller.abort(new Error("cancelled"));
    await assert.rejects(pending, /cancelled/);
    assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
  } finally {
    await executor.close();
  }
});

test("the logs of two concurrent tasks do not mix", async () => {
  const executor = new LocalExecutor({ cpus: 2 });
  try {
    const [a, b] = await Promise.all(
      ["A", "B"].map((label) => executor.submit(taskFor(chatter, [label]), new AbortController().signal)),
    );
    for (const [outcome, label] of [
      [a!, "A"],
      [b!, "B"],
    ] as const) {
      assert.ok(outcome.ok);
      assert.equal(outcome.logs.length, 20);
      assert.ok(outcome.logs.every((line) => line.text.startsWith(`${label} `)));
    }
  } finally {
    await executor.close();
  }
});
