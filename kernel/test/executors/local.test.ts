import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deserialize } from "node:v8";
import * as ct from "valence-workflows";
import { LocalExecutor } from "#src/executors/index.js";
import { executorConformance, taskSpecFor } from "#src/testing/index.js";
import type { TaskOutcome, TaskSpec } from "#src/executors/index.js";
import { greeting } from "./fixtures/greeting.ts";

executorConformance("local", () => new LocalExecutor({ maxWorkers: 2 }));

const hog = ct.electron(function hog() {
  const keep: number[][] = [];
  for (;;) keep.push(new Array(1_000_000).fill(1));
});
const quit = ct.electron(function quit() {
  process.exit(3);
});
const stray = ct.electron(async function stray() {
  setTimeout(() => {
    throw new TypeError("late failure");
  }, 1);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  return "unreachable";
});
const flagThenWait = ct.electron(async function flagThenWait(flag: string, ms: number) {
  process.getBuiltinModule("node:fs").writeFileSync(flag, "started");
  await new Promise((resolve) => setTimeout(resolve, ms));
  return ms;
});
const ok = ct.electron(function ok() {
  return "fine";
});
const span = ct.electron(async function span(ms: number) {
  const start = Date.now();
  await new Promise((resolve) => setTimeout(resolve, ms));
  return [start, Date.now()];
});
const thread = ct.electron(function thread() {
  return process.getBuiltinModule("node:worker_threads").threadId;
});
let calls = 0;
const counter = ct.electron(function counter() {
  calls += 1;
  return calls;
});
const greet = ct.electron(function greet(name: string) {
  return greeting(name);
});

const never = (): AbortSignal => new AbortController().signal;
const output = (outcome: TaskOutcome): unknown => {
  if (!outcome.ok) assert.fail(`${outcome.error.name}: ${outcome.error.message}`);
  return deserialize(outcome.output);
};
async function withExecutor(
  options: ConstructorParameters<typeof LocalExecutor>[0],
  body: (executor: LocalExecutor) => Promise<void>,
): Promise<void> {
  const executor = new LocalExecutor(options);
  try {
    await body(executor);
  } finally {
    await executor.close();
  }
}
const withMemory = (task: TaskSpec, memoryMB: number, cpus = 1): TaskSpec => ({
  ...task,
  resources: { cpus, memoryMB },
});

/** The most intervals that overlap at one instant. */
function peak(intervals: Array<[number, number]>): number {
  const edges = intervals.flatMap(([s, e]) => [
    [s, 1],
    [e, -1],
  ]);
  edges.sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
  let now = 0;
  let most = 0;
  for (const [, delta] of edges) most = Math.max(most, (now += delta!));
  return most;
}

test("the defaults are sized to the machine and documented options override them", () => {
  const executor = new LocalExecutor({ maxWorkers: 3, memoryMB: 900 });
  assert.deepEqual(executor.capacity, { cpus: 3, memoryMB: 900, gpus: 0 });
  assert.ok(new LocalExecutor().capacity.cpus >= 1);
  assert.throws(() => new LocalExecutor({ maxWorkers: 0 }), /maxWorkers must be at least 1/);
});

test("a task over its memory limit fails alone with the limit in the error, and the next task runs", async () => {
  await withExecutor({ maxWorkers: 2 }, async (executor) => {
    assert.equal(output(await executor.submit(withMemory(taskSpecFor(ok, []), 64), never())), "fine");
    const outcome = await executor.submit(withMemory(taskSpecFor(hog, []), 64), never());
    assert.ok(!outcome.ok);
    assert.equal(outcome.error.message, 'electron "hog": worker ran out of memory (limit 64 MB)');
    assert.equal(output(await executor.submit(withMemory(taskSpecFor(ok, []), 64), never())), "fine");
  });
});

test("process.exit() inside a task fails that task only", async () => {
  await withExecutor({ maxWorkers: 2 }, async (executor) => {
    const outcome = await executor.submit(taskSpecFor(quit, []), never());
    assert.ok(!outcome.ok);
    assert.match(outcome.error.message, /electron "quit": its worker exited with code 3 before the task finished/);
    assert.equal(output(await executor.submit(taskSpecFor(ok, []), never())), "fine");
  });
});

test("an uncaught exception in a task's stray callback fails that task only, with its cause", async () => {
  await withExecutor({ maxWorkers: 2 }, async (executor) => {
    const outcome = await executor.submit(taskSpecFor(stray, []), never());
    assert.ok(!outcome.ok);
    assert.equal(outcome.error.name, "TypeError");
    assert.match(outcome.error.message, /electron "stray": an uncaught TypeError crashed its worker .*: late failure/);
    assert.equal(output(await executor.submit(taskSpecFor(ok, []), never())), "fine");
  });
});

test("tasks never run on more CPUs than the executor has", async () => {
  await withExecutor({ maxWorkers: 2 }, async (executor) => {
    const outcomes = await Promise.all([1, 2, 3].map(() => executor.submit(taskSpecFor(span, [1000]), never())));
    assert.equal(peak(outcomes.map((o) => output(o) as [number, number])), 2);
    const wide = await Promise.all([
      executor.submit(taskSpecFor(span, [200], { resources: { cpus: 2 } }), never()),
      executor.submit(taskSpecFor(span, [200]), never()),
    ]);
    assert.equal(peak(wide.map((o) => output(o) as [number, number])), 1, "a 2-CPU task runs alone");
  });
});

test("tasks never reserve more memory than the executor has", async () => {
  await withExecutor({ maxWorkers: 3, memoryMB: 600 }, async (executor) => {
    // Long enough to overlap on a loaded machine, where a second worker may take a while to start.
    const tasks = [1, 2, 3].map(() => withMemory(taskSpecFor(span, [1000]), 256));
    const outcomes = await Promise.all(tasks.map((task) => executor.submit(task, never())));
    assert.equal(peak(outcomes.map((o) => output(o) as [number, number])), 2);
  });
});

test("a task that needs more than the executor has fails at once, saying why", async () => {
  await withExecutor({ maxWorkers: 2, memoryMB: 1000 }, async (executor) => {
    const cpus = await executor.submit(taskSpecFor(ok, [], { resources: { cpus: 4 } }), never());
    assert.ok(!cpus.ok && /electron "ok" needs 4 CPUs but the local executor has 2/.test(cpus.error.message));
    const memory = await executor.submit(withMemory(taskSpecFor(ok, []), 2000), never());
    assert.ok(!memory.ok && /needs 2000 MB but the local executor has 1000 MB/.test(memory.error.message));
  });
});

test("a queued task can be aborted before it starts", async () => {
  await withExecutor({ maxWorkers: 1 }, async (executor) => {
    const first = executor.submit(taskSpecFor(span, [200]), never());
    const controller = new AbortController();
    const queued = executor.submit(taskSpecFor(ok, []), controller.signal);
    controller.abort(new Error("not needed"));
    await assert.rejects(queued, /not needed/);
    assert.ok((await first).ok);
  });
});

test("withdraw takes back a task that has not started, and leaves a running one to finish", async () => {
  const dir = mkdtempSync(join(tmpdir(), "valence-withdraw-"));
  try {
    await withExecutor({ maxWorkers: 1 }, async (executor) => {
      const flag = join(dir, "started");
      const long = taskSpecFor(flagThenWait, [flag, 300]);
      const running = executor.submit(long, never());
      const later = taskSpecFor(ok, []);
      const queued = executor.submit(later, never());
      assert.equal(executor.withdraw(later, new Error("make way")), true);
      await assert.rejects(queued, /make way/);
      while (!existsSync(flag)) await new Promise((resolve) => setTimeout(resolve, 5));
      assert.equal(executor.withdraw(long, new Error("make way")), false, "a running task is not withdrawn");
      assert.equal(output(await running), 300);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("warm workers are reused by tasks with the same memory limit, not by others", async () => {
  await withExecutor({ maxWorkers: 2 }, async (executor) => {
    const a = output(await executor.submit(taskSpecFor(thread, []), never()));
    const b = output(await executor.submit(taskSpecFor(thread, []), never()));
    const c = output(await executor.submit(withMemory(taskSpecFor(thread, []), 200), never()));
    const d = output(await executor.submit(withMemory(taskSpecFor(thread, []), 200), never()));
    assert.equal(a, b);
    assert.notEqual(c, a);
    assert.equal(c, d);
  });
});

test("an electron is rebuilt once per worker, not once per task", async () => {
  await withExecutor({ maxWorkers: 1 }, async (executor) => {
    const counts = [];
    // A fresh spec object each time, as a dispatcher reading specs from its store would send.
    for (let i = 0; i < 3; i++) counts.push(output(await executor.submit(taskSpecFor(counter, []), never())));
    assert.deepEqual(counts, [1, 2, 3]);
  });
});

test("an electron using a relative TypeScript module runs in a worker", async () => {
  await withExecutor({ maxWorkers: 1 }, async (executor) => {
    assert.equal(output(await executor.submit(taskSpecFor(greet, ["ada"]), never())), "hello, ada!");
  });
});
