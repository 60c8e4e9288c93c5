// A local worker may hold a second batch queued behind the one it runs (so it goes on without a round
// trip): the queued batch runs after it, in order; a queued task can be aborted before it starts; a
// worker that dies gives its queued tasks back unstarted; and the executor still never runs more
// tasks at once than it has CPUs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { deserialize } from "node:v8";
import * as ct from "valence-workflows";
import { testJob, workerGivingBack, type TestJob, refuseGiveBack } from "../support/pooled-job.ts";
import { LocalExecutor } from "#src/executors/index.js";
import { taskSpecFor } from "#src/testing/index.js";
import type { TaskOutcome, TaskSpec } from "#src/executors/index.js";
import { PooledWorker } from "#src/executors/pooled-worker.js";
import { MAX_BATCH } from "#src/executors/local-protocol.js";

const stamp = ct.electron(async function stamp(ms: number) {
  const start = Date.now();
  await new Promise((resolve) => setTimeout(resolve, ms));
  return [start, Date.now()];
});
const quit = ct.electron(function quit() {
  process.exit(3);
});
const quick = ct.electron(function quick(i: number) {
  const start = performance.timeOrigin + performance.now();
  let x = 0;
  for (let k = 0; k < 2000; k++) x += k;
  return [start, performance.timeOrigin + performance.now(), x + i];
});

const job = (task: TaskSpec): TestJob => testJob(task);

const valueOf = (outcome: TaskOutcome): unknown => {
  if (!outcome.ok) assert.fail(`${outcome.error.name}: ${outcome.error.message}`);
  return deserialize(outcome.output);
};

test("a batch queued behind the running one runs after it, in order, in the other half of the slots", async () => {
  const idle: boolean[] = [];
  const worker = new PooledWorker<TestJob>(
    256,
    (w) => idle.push(w.busy),
    () => undefined,
    refuseGiveBack,
  );
  try {
    const first = [30, 30].map((ms) => job(taskSpecFor(stamp, [ms])));
    const second = [10, 10, 10].map((ms) => job(taskSpecFor(stamp, [ms])));
    assert.equal(worker.run(first), 0);
    assert.equal(worker.hasQueued, false);
    assert.equal(worker.run(second), MAX_BATCH, "the queued batch uses the other half");
    assert.equal(worker.hasQueued, true);
    assert.throws(() => worker.run([job(taskSpecFor(stamp, [1]))]), /two batches at most/);
    const spans = (await Promise.all([...first, ...second].map((j) => j.outcome))).map(
      (o) => valueOf(o) as [number, number],
    );
    for (let i = 1; i < spans.length; i++) assert.ok(spans[i]![0] >= spans[i - 1]![1], `task ${i} ran after ${i - 1}`);
    assert.deepEqual(idle, [true, false], "the first batch's end leaves the worker busy with the queued one");
    for (const j of [...first, ...second]) assert.equal(j.startedAt.length, 1, "each start is reported once");
    // Free again: a new batch starts in the first half.
    const third = [job(taskSpecFor(stamp, [1]))];
    assert.equal(worker.run(third), 0);
    assert.ok((await third[0]!.outcome).ok);
  } finally {
    await worker.stop(new Error("test over"));
  }
});

test("a task of a queued batch can be aborted before it starts: the worker skips it and runs the rest", async () => {
  const worker = new PooledWorker<TestJob>(
    256,
    () => undefined,
    () => undefined,
    refuseGiveBack,
  );
  try {
    const running = job(taskSpecFor(stamp, [100]));
    worker.run([running]);
    const queued = [1, 2, 3].map(() => job(taskSpecFor(stamp, [1])));
    const base = worker.run(queued);
    worker.abort(base + 1, new Error("not needed"));
    await assert.rejects(queued[1]!.outcome, /not needed/);
    assert.ok((await running.outcome).ok);
    assert.ok((await queued[0]!.outcome).ok);
    assert.ok((await queued[2]!.outcome).ok);
    assert.equal(queued[1]!.startedAt.length, 0, "the aborted task never started");
  } finally {
    await worker.stop(new Error("test over"));
  }
});

test("a worker that dies gives back the tasks of its queued batch unstarted", async () => {
  const { worker, givenBack: exit } = workerGivingBack();
  const dying = job(taskSpecFor(quit, []));
  worker.run([dying]);
  const queued = [1, 2].map(() => job(taskSpecFor(stamp, [1])));
  worker.run(queued);
  const outcome = await dying.outcome;
  assert.ok(!outcome.ok);
  assert.match(outcome.error.message, /exited with code 3/);
  // The task failed as the thread said it was ending; the pool gives the rest back once it has ended.
  assert.deepEqual(await exit, queued, "both queued tasks come back to run elsewhere");
});

test("with queued batches, many short tasks still run one at a time on a one-CPU executor, all of them", async () => {
  const executor = new LocalExecutor({ maxWorkers: 1 });
  try {
    const never = new AbortController().signal;
    // Measured short first: only then do its tasks go in batches, queued behind each other.
    for (let i = 0; i < 3; i++) valueOf(await executor.submit(taskSpecFor(quick, [i]), never));
    const outcomes = await Promise.all(
      Array.from({ length: 600 }, (_, i) => executor.submit(taskSpecFor(quick, [i]), never)),
    );
    const spans = outcomes.map((o) => valueOf(o) as [number, number, number]);
    spans.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < spans.length; i++) assert.ok(spans[i]![0] >= spans[i - 1]![1], "no two tasks overlap");
    assert.deepEqual(
      spans.map((s) => s[2] - 1999000).sort((a, b) => a - b),
      Array.from({ length: 600 }, (_, i) => i),
    );
  } finally {
    await executor.close();
  }
});
