import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import * as ct from "valence-workflows";
import { taskSpecFor } from "#src/testing/index.js";
import { eventually, temporaryDir } from "../support/dispatcher.ts";
import {
  forgetDispatcher,
  startDispatcherProcess,
  startWorkerProcess,
  type DispatcherProcess,
  type WorkerProcess,
} from "../support/processes.ts";
import { startRedis, type RunningRedis } from "../support/redis.ts";

// Fault (issue #9): malformed and foreign things in Redis, beyond the foreign and half-made jobs of
// executor.test.ts: job data that is not an object, another format version, inputs that cannot be
// read (a missing or truncated key, an electron that is not JSON, arguments that are not a
// structured clone, a spec that is not an electron), a task no worker could ever run, garbage on the
// control channel and in the worker registry. A real worker fails each job with a reason and a clear
// log line, never crashes, and a real dispatcher process still gets its dispatch run on it.
let redis: RunningRedis | undefined;
let client: Redis | undefined;
let queue: Queue | undefined;
let worker: WorkerProcess | undefined;
let dispatcher: DispatcherProcess | undefined;
const dataDir = temporaryDir("valence-fault-malformed-");

before(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
  queue = new Queue("valence", { connection: { url: redis.url } });
  worker = await startWorkerProcess(redis.url, ["--cpus", "1"]);
});

after(async () => {
  forgetDispatcher();
  await dispatcher?.stop(10_000);
  await queue?.close();
  client?.disconnect();
  const code = await worker?.stop();
  await redis?.stop();
  rmSync(dataDir, { recursive: true, force: true });
  assert.equal(code, 0, "the worker ran throughout and stopped cleanly");
});

const echo = ct.electron(function echo(value: unknown) {
  return value;
});
const twice = ct.lattice(
  function twice(value: number) {
    return [echo(value), echo(value + 1)];
  },
  { executor: "bullmq" },
);

/** A well-formed job's data (an echo task), with `change` applied. */
function jobData(change: Record<string, unknown> = {}): Record<string, unknown> {
  const task = taskSpecFor(echo, ["hello"]);
  return {
    valence: 1,
    dispatchId: "foreign-dispatch",
    nodeId: 1,
    attempt: 1,
    name: "echo",
    electron: { inline: JSON.stringify(task.electron) },
    args: { inline: Buffer.from(task.args).toString("base64") },
    resources: { cpus: 1 },
    ...change,
  };
}

const failedReason = (id: string): Promise<string> =>
  eventually(async () => {
    const state = await queue!.getJobState(id);
    if (state === "completed")
      assert.fail(`job ${id} completed: ${JSON.stringify((await queue!.getJob(id))?.returnvalue)}`);
    return state === "failed" ? (await queue!.getJob(id))!.failedReason : undefined;
  }, 20_000);

const returned = (id: string): Promise<{ ok: boolean; error?: { message: string } }> =>
  eventually(async () => {
    const state = await queue!.getJobState(id);
    if (state === "failed") assert.fail(`job ${id} failed: ${(await queue!.getJob(id))?.failedReason}`);
    return state === "completed" ? (await queue!.getJob(id))!.returnvalue : undefined;
  }, 20_000);

test("malformed jobs, unreadable inputs and control-channel garbage: each job fails with its reason, logged; the worker keeps serving", async () => {
  // A dispatcher that is already listening to the queue's events when the strangers arrive.
  dispatcher = await startDispatcherProcess(dataDir, redis!.url);
  dispatcher.use();
  const first = await ct.dispatchSync(twice)(1);
  assert.deepEqual(first.result, [1, 2]);

  const keys = "bull:valence:valence";
  await client!.set(`${keys}:blob:short:args`, Buffer.alloc(10));
  // Garbage in the worker registry: the dispatcher must skip it, not choke on it.
  await client!.sadd(`${keys}:workers`, "ghost");
  await client!.set(`${keys}:worker:ghost`, "{not json", "PX", 60_000);
  // Garbage on the control channel: ignored (with a log line), never a crash.
  for (const text of ["not json", "[]", '{"type":"cancel"}', '{"type":"queue","name":"valence.zz"}', '{"type":"x"}']) {
    await client!.publish(`${keys}:control`, text);
  }

  const rejected: Array<[string, unknown, RegExp]> = [
    ["null data", null, /^not a Valence task: its data is null, not an object$/],
    ["text data", "just text", /^not a Valence task: its data is a string, not an object$/],
    ["array data", [1, 2, 3], /^not a Valence task: its data is an array, not an object$/],
    ["newer format", jobData({ valence: 2 }), /^not a Valence task: its data is format 2, this worker reads format 1$/],
    [
      "args gone",
      jobData({ args: { ref: `${keys}:blob:gone:args`, bytes: 100 } }),
      /^its inputs could not be read: the arguments \(100 bytes\) is no longer in Redis \(key \S+:blob:gone:args expired or was deleted\)$/,
    ],
    [
      "args truncated",
      jobData({ args: { ref: `${keys}:blob:short:args`, bytes: 20 } }),
      /^its inputs could not be read: the arguments in Redis has 10 bytes, expected 20/,
    ],
    ["electron not JSON", jobData({ electron: { inline: "function echo(" } }), /^its inputs could not be read: .*JSON/],
    [
      "not an electron",
      jobData({ electron: { inline: '{"hello":"world"}' } }),
      /^its inputs could not be read: the electron spec is not one this worker can run: its version is undefined, this worker reads version 1$/,
    ],
    [
      "electron half made",
      jobData({
        electron: {
          inline:
            '{"version":1,"functions":[{"name":"f","source":"x","bindings":{}}],"electron":{"name":"f","options":{},"fn":3}}',
        },
      }),
      /^its inputs could not be read: the electron spec is not one this worker can run: its "electron" lacks a name, options or a function index$/,
    ],
  ];
  const ids = new Map<string, string>();
  for (const [name, data] of rejected) ids.set(name, (await queue!.add(name, data as object)).id!);
  for (const [name, , reason] of rejected) assert.match(await failedReason(ids.get(name)!), reason, name);

  // Inputs that can be read but make no task: the job completes with a failed task outcome.
  const failedTasks: Array<[string, Record<string, unknown>, RegExp]> = [
    ["args not a clone", jobData({ args: { inline: Buffer.from("garbage!").toString("base64") } }), /deserialize/],
    ["too many CPUs", jobData({ resources: { cpus: 64 } }), /needs 64 CPUs but the local executor has 1/],
  ];
  for (const [name, data] of failedTasks) ids.set(name, (await queue!.add(name, data)).id!);
  for (const [name, , message] of failedTasks) {
    const value = await returned(ids.get(name)!);
    assert.equal(value.ok, false, name);
    assert.match(value.error!.message, message, name);
  }

  // One clear line per job, naming the job (or task) and why.
  const lines = worker!.lines;
  for (const [name] of rejected.slice(0, 4)) {
    const id = ids.get(name)!;
    assert.ok(
      lines.some((l) =>
        new RegExp(`rejected job ${id} \\(name "${name}"\\) on queue valence: not a Valence task: `).test(l),
      ),
      `a line for ${name}:\n${lines.join("\n")}`,
    );
  }
  const inputs = lines.filter((l) =>
    /rejected "echo" \(dispatch foreign-dispatch, node 1, attempt 1\): its inputs could not be read: /.test(l),
  );
  assert.equal(inputs.length, 5, lines.join("\n"));
  const failed = lines.filter((l) => /failed "echo" \(dispatch foreign-dispatch, node 1, attempt 1\)/.test(l));
  assert.equal(failed.length, 2, lines.join("\n"));
  assert.ok(
    lines.some((l) => /ignored a control message that is not ours/.test(l)),
    `the control-channel garbage was noted:\n${lines.join("\n")}`,
  );
  assert.ok(worker!.alive, "the worker is still running");
  assert.ok(
    lines.every((l) => !/unhandled|uncaught|TypeError/i.test(l)),
    lines.join("\n"),
  );

  // The worker still serves the dispatcher, which ignored the strangers' events.
  const result = await ct.dispatchSync(twice)(41);
  assert.equal(result.status, "COMPLETED", String(result));
  assert.deepEqual(result.result, [41, 42]);
  assert.ok(
    dispatcher.lines.every((l) => !/Error|unhandled/i.test(l)),
    dispatcher.lines.join("\n"),
  );
});
