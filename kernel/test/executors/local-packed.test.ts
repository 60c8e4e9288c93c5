// A local worker reports the outcomes of consecutive short tasks in one message ("outcomes", see
// local-outcomes.ts): each submit still gets its own outcome (output, error, logs, start), a task
// cancelled before it starts or a follow-up that cannot run is still skipped, a large output still
// comes alone, and a worker that dies with outcomes not sent yet gives those tasks back to run again.
import { test } from "node:test";
import assert from "node:assert/strict";
import { deserialize } from "node:v8";
import type { Worker } from "node:worker_threads";
import * as ct from "valence-workflows";
import { testJob, workerGivingBack, type TestJob, refuseGiveBack } from "../support/pooled-job.ts";
import { taskSpecFor } from "#src/testing/index.js";
import type { TaskOutcome } from "#src/executors/index.js";
import { PooledWorker } from "#src/executors/pooled-worker.js";
import type { WorkerReply } from "#src/executors/local-protocol.js";

const act = ct.electron(function act(kind: string, input: unknown) {
  if (kind === "wait") {
    const end = Date.now() + 30;
    while (Date.now() < end);
    return "waited";
  }
  if (kind === "fail") throw new RangeError("failed on purpose");
  if (kind === "log") {
    console.log("a line of the log task");
    return "logged";
  }
  if (kind === "follow") return ["followed", input];
  if (kind === "big") return "x".repeat(100_000);
  if (kind === "quit") process.exit(3);
  return kind;
});

const job = (kind: string, inputAt?: number[]): TestJob => testJob(taskSpecFor(act, [kind, null]), inputAt);

const valueOf = (outcome: TaskOutcome): unknown => {
  if (!outcome.ok) assert.fail(`${outcome.error.name}: ${outcome.error.message}`);
  return deserialize(outcome.output);
};

/** Every reply the worker posts, as the pool receives them. */
function replies(worker: PooledWorker<TestJob>): WorkerReply[] {
  const seen: WorkerReply[] = [];
  (worker as unknown as { worker: Worker }).worker.on("message", (reply: WorkerReply) => seen.push(reply));
  return seen;
}

test("the outcomes of a batch's short tasks come packed, and each submit still gets its own", async () => {
  const worker = new PooledWorker<TestJob>(
    256,
    () => undefined,
    () => undefined,
    refuseGiveBack,
  );
  const seen = replies(worker);
  try {
    // The electron is rebuilt first (the worker sends what it has before it awaits the rebuild).
    const warm = job("ok");
    worker.run([warm]);
    assert.equal(valueOf(await warm.outcome), "ok");
    seen.length = 0;
    const jobs = [
      job("wait"),
      job("fail"),
      job("follow", [1]),
      job("log"),
      job("cancelled"),
      job("ok"),
      job("follow", [1]),
      job("big"),
      job("last"),
    ];
    const base = worker.run(jobs);
    // The first task keeps the worker busy for 30 ms: this one has not started.
    worker.abort(base + 4, new Error("not needed"));
    const settled = await Promise.allSettled(jobs.map((j) => j.outcome));
    const [wait, fail, notRun, log, cancelled, ok, followed, big, last] = settled;

    assert.equal(wait?.status === "fulfilled" && valueOf(wait.value), "waited");
    assert.ok(fail?.status === "fulfilled" && !fail.value.ok);
    assert.equal(fail.value.error.name, "RangeError");
    assert.equal(fail.value.error.message, "failed on purpose");
    assert.ok(notRun?.status === "rejected");
    assert.match(String(notRun.reason), /did not succeed/);
    assert.ok(log?.status === "fulfilled");
    assert.equal(valueOf(log.value), "logged");
    assert.deepEqual(
      log.value.logs.map((l) => [l.stream, l.text]),
      [["stdout", "a line of the log task\n"]],
    );
    assert.ok(cancelled?.status === "rejected");
    assert.match(String(cancelled.reason), /not needed/);
    assert.equal(ok?.status === "fulfilled" && valueOf(ok.value), "ok");
    assert.deepEqual(followed?.status === "fulfilled" && valueOf(followed.value), ["followed", "ok"]);
    assert.equal(big?.status === "fulfilled" && (valueOf(big.value) as string).length, 100_000);
    assert.equal(last?.status === "fulfilled" && valueOf(last.value), "last");
    for (const result of settled) {
      if (result.status === "fulfilled" && result !== log)
        assert.deepEqual(result.value.logs, [], "no one else's logs");
    }

    jobs.forEach((j, i) => {
      const result = settled[i]!;
      if (result.status === "rejected") assert.equal(j.startedAt.length, 0, `task ${i} never started`);
      else {
        assert.equal(j.startedAt.length, 1, `task ${i}'s start is reported once`);
        // The batch's first when it was sent; the others when they started (or the one before ended):
        // within 20 ms (a loaded machine delays the thread), well under the first task's 30 ms.
        const at = j.startedAt[0]!;
        if (i > 0) assert.ok(at <= result.value.startedAt && at >= result.value.startedAt - 20, `task ${i}'s start`);
      }
    });

    // 9 tasks: the large output comes alone, the others in few messages, several to one.
    const packs = seen.filter((r) => r.type === "outcomes");
    const single = seen.filter((r) => r.type === "done" || r.type === "skipped");
    assert.deepEqual(
      single.map((r) => r.type === "done" && r.index),
      [base + 7],
      "only the large output in a message of its own",
    );
    assert.equal(packs.reduce((n, p) => n + p.flags.length, 0) + single.length, jobs.length);
    assert.ok(
      packs.some((p) => p.flags.length >= 3),
      `packs of ${packs.map((p) => p.flags.length).join(", ")} outcomes`,
    );
    // A log line comes before its task's outcome.
    const logAt = seen.findIndex((r) => r.type === "log");
    const logPack = seen.findIndex(
      (r) => r.type === "outcomes" && r.first <= base + 3 && base + 3 < r.first + r.flags.length,
    );
    assert.ok(logAt >= 0 && logAt < logPack, "the log line before the outcome");
  } finally {
    await worker.stop(new Error("test over"));
  }
});

test("a task that calls process.exit() fails, and the tasks its batch ran before it are reported done, not given back", async () => {
  const { worker, givenBack: unstarted } = workerGivingBack();
  const warm = job("ok");
  worker.run([warm]);
  assert.equal(valueOf(await warm.outcome), "ok");
  const done = [job("a"), job("b")];
  const dying = job("quit");
  const after = job("after");
  worker.run([...done, dying, after]);
  const outcome = await dying.outcome;
  assert.ok(!outcome.ok);
  assert.equal(outcome.error.name, "WorkerExitError");
  assert.match(outcome.error.message, /exited with code 3/);
  const back = await unstarted;
  assert.deepEqual(back, [after], "only the task after it is given back: it never started");
  // Their outcomes were held (packed, under a millisecond old) when the thread ended: sent on its way out.
  for (const [i, j] of done.entries()) assert.equal(valueOf(await j.outcome), ["a", "b"][i]);
});
