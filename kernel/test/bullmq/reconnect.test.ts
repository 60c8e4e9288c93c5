import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { deserialize } from "node:v8";
import * as ct from "valence-workflows";
import { taskSpecFor } from "#src/testing/index.js";
import { BullMQExecutor } from "#src/executors/bullmq/index.js";
import { eventually } from "../support/dispatcher.ts";
import { startRedis, type RunningRedis } from "../support/redis.ts";
import { startWorker, type SpawnedWorker } from "./workers.ts";

// Redis goes away and comes back (without its data): the executor and the worker say so, retry, and
// the task submitted meanwhile runs once both are connected again. Nothing crashes.
let redis: RunningRedis | undefined;
let worker: SpawnedWorker | undefined;

before(async () => {
  redis = await startRedis();
  worker = await startWorker(redis.url, ["--cpus", "1"]);
});

after(async () => {
  const code = await worker?.stop();
  await redis?.stop();
  assert.equal(code, 0);
});

const echo = ct.electron(function echo(value: unknown) {
  return value;
});

test("a task submitted while Redis is down waits, logged, and runs once Redis and the worker are back", async () => {
  const log: string[] = [];
  const executor = new BullMQExecutor({ redis: redis!.url }, { log: (line) => log.push(line) });
  try {
    const first = await executor.submit(taskSpecFor(echo, ["before"]), new AbortController().signal);
    assert.ok(first.ok);
    assert.equal(deserialize(first.output), "before");
    await redis!.down();
    const task = taskSpecFor(echo, ["after the outage"]);
    const pending = executor.submit(task, new AbortController().signal);
    await eventually(() =>
      log.some((l) => /cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+\/? .*retrying/.test(l)) ? true : undefined,
    );
    await eventually(() =>
      executor.waiting().find((w) => w.nodeId === task.nodeId && /cannot reach Redis/.test(w.reason)),
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    await redis!.up();
    const outcome = await pending;
    assert.ok(outcome.ok);
    assert.equal(deserialize(outcome.output), "after the outage");
    assert.ok(log.some((l) => /connected to Redis at .* again/.test(l)));
    assert.ok(worker!.lines.some((l) => /cannot reach Redis/.test(l)));
  } finally {
    await executor.close();
  }
});

test("a password in the Redis URL is used by the executor and the worker, and never printed", async () => {
  const secured = await startRedis({ password: "s3cret-pw" });
  const log: string[] = [];
  const executor = new BullMQExecutor({ redis: secured.url }, { log: (line) => log.push(line) });
  const guarded = await startWorker(secured.url, ["--cpus", "1"]);
  try {
    const outcome = await executor.submit(taskSpecFor(echo, ["with auth"]), new AbortController().signal);
    assert.ok(outcome.ok);
    assert.equal(deserialize(outcome.output), "with auth");
    assert.ok(guarded.lines.some((l) => l.includes("redis://:***@127.0.0.1:")));
    assert.ok([...guarded.lines, ...log].every((l) => !l.includes("s3cret-pw")));
  } finally {
    await executor.close();
    assert.equal(await guarded.stop(), 0);
    await secured.stop();
  }
});
