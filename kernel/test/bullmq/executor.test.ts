import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { deserialize } from "node:v8";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import * as ct from "valence-workflows";
import { type TaskOutcome, type TaskSpec } from "#src/executors/index.js";
import { taskSpecFor } from "#src/testing/index.js";
import { BullMQExecutor } from "#src/executors/bullmq/index.js";
import { eventually, temporaryDir } from "../support/dispatcher.ts";
import { startRedis, type RunningRedis } from "../support/redis.ts";
import { startWorker, type SpawnedWorker } from "./workers.ts";

// The BullMQ executor against a real Redis and real `valence worker` processes: large payloads,
// cancel, routing by resources, foreign jobs, and a worker killed mid-task.
let redis: RunningRedis | undefined;
let client: Redis | undefined;
let executor: BullMQExecutor | undefined;
const workers: SpawnedWorker[] = [];
const dir = temporaryDir("valence-bullmq-");

before(async () => {
  redis = await startRedis();
  workers.push(...(await Promise.all([1, 2].map(() => startWorker(redis!.url, ["--cpus", "2"])))));
  client = new Redis(redis.url);
  executor = new BullMQExecutor({ redis: redis.url }, { log: () => undefined });
});

after(async () => {
  await executor?.close();
  client?.disconnect();
  await Promise.all(workers.map((w) => w.stop()));
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function run(task: TaskSpec, on?: BullMQExecutor): Promise<TaskOutcome>;
function run(task: TaskSpec, signal: AbortSignal): Promise<TaskOutcome>;
function run(task: TaskSpec, how?: BullMQExecutor | AbortSignal): Promise<TaskOutcome> {
  if (how instanceof AbortSignal) return executor!.submit(task, how);
  return (how ?? executor!).submit(task, new AbortController().signal);
}

const value = (outcome: TaskOutcome): unknown => {
  if (!outcome.ok) assert.fail(`the task failed: ${outcome.error.name}: ${outcome.error.message}`);
  return deserialize(outcome.output);
};

const grow = ct.electron(function grow(input: Uint8Array, extra: number) {
  const output = new Uint8Array(input.length + extra);
  output.set(input);
  output.fill(7, input.length);
  return output;
});
const echo = ct.electron(function echo(value: unknown) {
  return value;
});
const ticker = ct.electron(async function ticker(file: string) {
  const fs = process.getBuiltinModule("node:fs");
  for (;;) {
    fs.appendFileSync(file, "x");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
});
const onGpu = ct.electron(function onGpu() {
  return process.pid;
});
const counted = ct.electron(async function counted(file: string, ms: number) {
  const fs = process.getBuiltinModule("node:fs");
  fs.appendFileSync(file, "x");
  await new Promise((resolve) => setTimeout(resolve, ms));
  return fs.readFileSync(file, "utf8").length;
});
const slow = ct.electron(async function slow(where: string, ms: number) {
  process.getBuiltinModule("node:fs").writeFileSync(`${where}/started-${process.pid}`, "");
  await new Promise((resolve) => setTimeout(resolve, ms));
  return `slept ${ms} ms`;
});

test("a 20 MB input and a 24 MB output make the round trip, and their Redis keys are deleted after", async (t) => {
  const input = new Uint8Array(20 * 2 ** 20);
  for (let i = 0; i < input.length; i += 4096) input[i] = i % 251;
  const started = performance.now();
  const outcome = await run(taskSpecFor(grow, [input, 4 * 2 ** 20]));
  t.diagnostic(`20 MB in, 24 MB out: ${(performance.now() - started).toFixed(0)} ms`);
  const output = value(outcome) as Uint8Array;
  assert.equal(output.length, 24 * 2 ** 20);
  assert.ok(Buffer.from(output.subarray(0, input.length)).equals(Buffer.from(input)), "the input came back intact");
  assert.ok(output.subarray(input.length).every((b) => b === 7));
  await eventually(async () => ((await client!.keys("bull:valence:valence:blob:*")).length === 0 ? true : undefined));
});

test("cancelling a running job stops it on the worker, and the job is removed", async () => {
  const file = join(dir, "ticks");
  const controller = new AbortController();
  const task = taskSpecFor(ticker, [file]);
  const pending = run(task, controller.signal);
  pending.catch(() => undefined);
  await eventually(() => (existsSync(file) && statSync(file).size >= 3 ? true : undefined));
  controller.abort(new Error("stopped by the user"));
  await assert.rejects(pending, /stopped by the user/);
  const size = statSync(file).size;
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(statSync(file).size, size, "the task no longer runs");
  assert.ok(workers.some((w) => w.lines.some((l) => /cancelled "ticker"/.test(l))));
  const queue = new Queue("valence", { connection: { url: redis!.url } });
  try {
    const jobId = `${task.dispatchId}:${task.nodeId}:${task.attempt}`;
    await eventually(async () => ((await queue.getJobState(jobId)) === "unknown" ? true : undefined));
  } finally {
    await queue.close();
  }
});

test("foreign or malformed jobs on the queue are failed with the reason, and the worker keeps serving", async () => {
  const queue = new Queue("valence", { connection: { url: redis!.url } });
  try {
    const foreign = await queue.add("email", { to: "someone@example.org" });
    const broken = await queue.add("half", { valence: 1, dispatchId: "d", nodeId: 1 });
    const failed = async (id: string): Promise<string> =>
      eventually(async () =>
        (await queue.getJobState(id)) === "failed" ? (await queue.getJob(id))!.failedReason : undefined,
      );
    assert.match(await failed(foreign.id!), /^not a Valence task: its data has no "valence" format marker/);
    assert.match(await failed(broken.id!), /^not a Valence task: its data: missing "attempt".*missing "electron"/);
    assert.ok(workers.some((w) => w.lines.some((l) => /rejected job .* not a Valence task/.test(l))));
    assert.equal(value(await run(taskSpecFor(echo, ["still serving"]))), "still serving");
    assert.ok(workers.every((w) => w.lines.every((l) => !/Error|unhandled/i.test(l) || /rejected job/.test(l))));
  } finally {
    await queue.close();
  }
});

test("a GPU task waits with the reason while no GPU worker is connected, and runs on one as soon as it starts", async () => {
  const cancelled = new AbortController();
  const first = run(taskSpecFor(onGpu, [], { resources: { cpus: 1, gpus: 1 } }), cancelled.signal);
  cancelled.abort(new Error("not needed"));
  await assert.rejects(first, /not needed/);

  const task = taskSpecFor(onGpu, [], { resources: { cpus: 1, gpus: 1 } });
  const pending = run(task);
  const waiting = await eventually(() => executor!.waiting().find((w) => w.nodeId === task.nodeId));
  assert.match(waiting.reason, /^no worker with 1 GPU is connected to queue "valence"/);
  assert.equal(await client!.exists("bull:valence.g1:meta"), 0, "nothing was enqueued blindly");
  await new Promise((resolve) => setTimeout(resolve, 600));
  assert.ok(
    executor!.waiting().some((w) => w.nodeId === task.nodeId),
    "it still waits",
  );

  const gpuWorker = await startWorker(redis!.url, ["--gpus", "1", "--cpus", "1"]);
  workers.push(gpuWorker);
  const outcome = await pending;
  assert.equal(value(outcome), gpuWorker.pid);
  assert.equal(outcome.worker?.id, gpuWorker.id);
  assert.deepEqual(executor!.waiting(), []);
});

test("a worker killed with -9 mid-task: another worker finishes the task within seconds, same result", async (t) => {
  const where = temporaryDir("valence-kill-");
  try {
    const pending = run(taskSpecFor(slow, [where, 1500]));
    const first = await eventually(() => readdirSync(where).find((f) => f.startsWith("started-")));
    const pid = Number(first.slice("started-".length));
    const victim = workers.find((w) => w.pid === pid);
    assert.ok(victim, `the task started on a test worker (pid ${pid})`);
    const killedAt = Date.now();
    await victim.kill();
    const outcome = await pending;
    const ms = Date.now() - killedAt;
    t.diagnostic(`finished ${ms} ms after the kill`);
    assert.equal(value(outcome), "slept 1500 ms");
    assert.notEqual(outcome.worker?.pid, pid);
    assert.ok(ms < 15_000, `recovered in ${ms} ms`);
    assert.ok(readdirSync(where).some((f) => f === `started-${outcome.worker!.pid}`));
  } finally {
    rmSync(where, { recursive: true, force: true });
  }
});

test("a restarted dispatcher re-submitting a running or a finished task takes its job's result, not a rerun", async () => {
  const where = temporaryDir("valence-restart-");
  const quiet = { log: () => undefined };
  try {
    const before = new BullMQExecutor({ redis: redis!.url }, quiet);
    const running = taskSpecFor(counted, [join(where, "running"), 1500]);
    const finished = taskSpecFor(counted, [join(where, "finished"), 200]);
    for (const task of [running, finished]) before.submit(task, new AbortController().signal).catch(() => undefined);
    await eventually(() =>
      existsSync(join(where, "running")) && existsSync(join(where, "finished")) ? true : undefined,
    );
    await before.close();
    const queue = new Queue("valence", { connection: { url: redis!.url } });
    try {
      const id = `${finished.dispatchId}:${finished.nodeId}:${finished.attempt}`;
      await eventually(async () => ((await queue.getJobState(id)) === "completed" ? true : undefined));
    } finally {
      await queue.close();
    }
    const after = new BullMQExecutor({ redis: redis!.url }, quiet);
    try {
      const [again, done] = await Promise.all([run(running, after), run(finished, after)]);
      assert.equal(value(done), 1);
      assert.equal(value(again), 1);
      assert.equal(readFileSync(join(where, "running"), "utf8"), "x", "ran once");
      assert.equal(readFileSync(join(where, "finished"), "utf8"), "x", "ran once");
    } finally {
      await after.close();
    }
  } finally {
    rmSync(where, { recursive: true, force: true });
  }
});

test("a task needing more memory than any worker declares waits with the reason; close() rejects it", async () => {
  const own = new BullMQExecutor({ redis: redis!.url }, { log: () => undefined });
  const task = taskSpecFor(echo, ["big"], { resources: { cpus: 1, memoryMB: 1_000_000 } });
  const pending = run(task, own);
  const waiting = await eventually(() => own.waiting().find((w) => w.nodeId === task.nodeId));
  assert.match(waiting.reason, /^no worker with 1000000 MB of memory is connected/);
  await own.close();
  await assert.rejects(pending, /closed/);
});

test("SIGTERM: a worker finishes its running task, unregisters and exits 0; with no grace left it hands the task back", async () => {
  const where = temporaryDir("valence-term-");
  const own = new BullMQExecutor({ redis: redis!.url, queue: "shutdown" }, { log: () => undefined });
  const workerArgs = ["--queue", "shutdown", "--cpus", "1"];
  try {
    const finishing = await startWorker(redis!.url, [...workerArgs, "--grace", "10"]);
    const first = run(taskSpecFor(slow, [where, 800]), own);
    await eventually(() => (existsSync(join(where, `started-${finishing.pid}`)) ? true : undefined));
    assert.equal(await finishing.stop(), 0);
    const outcome = await first;
    assert.equal(value(outcome), "slept 800 ms");
    assert.equal(outcome.worker?.pid, finishing.pid, "the stopping worker finished it");
    assert.equal(await client!.sismember("bull:shutdown:valence:workers", finishing.id), 0, "unregistered");
    assert.equal(await client!.exists(`bull:shutdown:valence:worker:${finishing.id}`), 0);

    const leaving = await startWorker(redis!.url, [...workerArgs, "--grace", "0"]);
    // Long enough to outlast starting another worker process on a loaded machine (seconds).
    const second = run(taskSpecFor(slow, [where, 4000]), own);
    await eventually(() => (existsSync(join(where, `started-${leaving.pid}`)) ? true : undefined));
    const staying = await startWorker(redis!.url, workerArgs);
    workers.push(staying);
    assert.equal(await leaving.stop(), 0);
    assert.ok(leaving.lines.some((l) => /handed back "slow"/.test(l)));
    const outcome2 = await second;
    assert.equal(value(outcome2), "slept 4000 ms");
    assert.equal(outcome2.worker?.pid, staying.pid, "another worker ran the handed-back task");
  } finally {
    await own.close();
    rmSync(where, { recursive: true, force: true });
  }
});

test("options are checked with errors that name the option", () => {
  assert.throws(() => new BullMQExecutor({ redis: "http://x" }), /redis must be a redis:\/\/ or rediss:\/\/ URL/);
  assert.throws(() => new BullMQExecutor({ queue: "a:b" }), /queue may contain only letters/);
  assert.throws(
    () => new BullMQExecutor({ queues: "x" } as never),
    /unknown option "queues" \(did you mean "queue"\?\)/,
  );
  // Constructing never connects: a Redis nobody listens on is fine until the first submit.
  void new BullMQExecutor({ redis: "rediss://user:secret@127.0.0.1:1/0" }).close();
});
