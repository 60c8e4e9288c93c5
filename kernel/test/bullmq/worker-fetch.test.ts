// How `valence worker` takes jobs (worker/marker.ts, worker/slots.ts): a fetch leaves the queue's
// wake-up marker only while jobs wait (BullMQ's own woke every idle worker for nothing after each
// job); a worker of one slot takes several short tasks at once while a backlog lasts; and tasks taken
// that way never wait behind a long one while another worker is free: real Redis, real workers.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import * as ct from "valence-workflows";
import { BullMQExecutor } from "#src/executors/bullmq/index.js";
import { quietMarker } from "#src/worker/marker.js";
import { temporaryDir } from "../support/dispatcher.ts";
import { startScaleOutDispatcher, stopScaleOutDispatcher } from "./dispatcher.ts";
import { startRedis, type RunningRedis } from "../support/redis.ts";
import { startWorker, type SpawnedWorker } from "./workers.ts";

let redis: RunningRedis | undefined;
let workers: SpawnedWorker[] = [];
let dispatcher: ct.RunningDispatcher | undefined;
const dataDir = temporaryDir();

// Root-level hooks run concurrently: one hook starts Redis, the workers, then the dispatcher.
before(async () => {
  redis = await startRedis();
  // One slot each: without prefetching, each holds one job at a time.
  workers = await Promise.all([1, 2].map(() => startWorker(redis!.url, ["--cpus", "1", "--concurrency", "1"])));
  dispatcher = await startScaleOutDispatcher(
    dataDir,
    new BullMQExecutor({ redis: redis.url }, { log: () => undefined }),
  );
});

after(async () => {
  await stopScaleOutDispatcher(dispatcher, dataDir);
  const codes = await Promise.all(workers.map((w) => w.stop()));
  await redis?.stop();
  assert.deepEqual(codes, [0, 0]);
});

test("a fetch leaves the queue's wake-up marker only while jobs still wait", async () => {
  const connect = (): Redis => new Redis(redis!.url, { maxRetriesPerRequest: null });
  const quiet = connect();
  const stock = connect();
  const admin = connect();
  assert.equal(quietMarker(quiet), true, "BullMQ's moveToActive is the one worker/marker.ts expects");
  const queue = new Queue("marker-test", { connection: stock });
  const consumers = [quiet, stock].map((connection) => new Worker("marker-test", null, { connection, autorun: false }));
  const marker = "bull:marker-test:marker";
  /** Takes one job as a woken worker does (the marker popped first); then whether the marker is set again. */
  const take = async (consumer: Worker, token: string): Promise<{ name: string | undefined; marker: number }> => {
    await admin.del(marker);
    const job = await consumer.getNextJob(token, { block: false });
    return { name: job?.name, marker: await admin.zcard(marker) };
  };
  try {
    for (const [consumer, lastMarker] of [
      [consumers[0]!, 0],
      [consumers[1]!, 1], // BullMQ's own: set again with nothing left, waking idle workers for nothing
    ] as const) {
      await queue.add("first", {});
      await queue.add("second", {});
      assert.deepEqual(await take(consumer, "t1"), { name: "first", marker: 1 }, "a job still waits: wake others");
      assert.deepEqual(await take(consumer, "t2"), { name: "second", marker: lastMarker });
      await queue.obliterate({ force: true });
    }
  } finally {
    await Promise.all(consumers.map((c) => c.close()));
    await queue.close();
    for (const client of [quiet, stock, admin]) client.disconnect();
  }
});

const noop = ct.electron(function noop(i: number): number {
  return i;
});
const nap = ct.electron(async function nap(ms: number): Promise<{ pid: number; from: number; to: number }> {
  const from = Date.now();
  await new Promise((resolve) => setTimeout(resolve, ms));
  return { pid: process.pid, from, to: Date.now() };
});
const burst = ct.lattice(
  function burst(n: number, ms: number) {
    const quick = [];
    for (let i = 0; i < n; i++) quick.push(noop(i));
    // Two long tasks right behind the short ones: a worker may have taken both with its prefetch.
    return { quick, naps: [nap(ms), nap(ms)] };
  },
  { executor: "bullmq" },
);

test("workers of one slot take several short tasks at once, and long ones still spread over free workers", async (t) => {
  const admin = new Redis(redis!.url);
  let sampling = true;
  let maxActive = 0;
  const sampler = (async () => {
    while (sampling) {
      maxActive = Math.max(maxActive, await admin.llen("bull:valence:active"));
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  })();
  try {
    for (let round = 0; round < 3; round++) {
      const result = await ct.dispatchSync(burst)(400, 1500);
      assert.equal(result.status, "COMPLETED", String(result.error?.message));
      const { quick, naps } = result.result!;
      assert.deepEqual(quick, [...Array(400).keys()]);
      const [a, b] = naps as [(typeof naps)[number], (typeof naps)[number]];
      assert.notEqual(a.pid, b.pid, `round ${round}: the two long tasks ran on different workers`);
      assert.ok(a.from < b.to && b.from < a.to, `round ${round}: the two long tasks ran at the same time`);
    }
  } finally {
    sampling = false;
    await sampler;
    admin.disconnect();
  }
  assert.ok(maxActive > 2, `two workers of one slot held ${maxActive} jobs at most`);
  const handedBack = workers.flatMap((w) => w.lines).filter((l) => /behind a long task/.test(l)).length;
  t.diagnostic(`at most ${maxActive} jobs taken at once; ${handedBack} handed back from behind a long task`);
});
