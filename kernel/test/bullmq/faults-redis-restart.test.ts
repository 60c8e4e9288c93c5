import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import * as ct from "valence-workflows";
import { eventually, temporaryDir } from "../support/dispatcher.ts";
import {
  forgetDispatcher,
  startDispatcherProcess,
  startWorkerProcess,
  type DispatcherProcess,
  type WorkerProcess,
} from "../support/processes.ts";
import { startRedis, type RunningRedis } from "../support/redis.ts";

// Fault (issue #9): Redis stops and starts again mid-dispatch, without persistence, so every job in
// it (waiting, running, finished) is gone. The workers and the dispatcher's bullmq executor
// reconnect; the executor's sweep finds its jobs missing and enqueues them again; the dispatch ends
// with the right result. Real processes: redis-server, two workers, the dispatcher.
let redis: RunningRedis | undefined;
const workers: WorkerProcess[] = [];
let dispatcher: DispatcherProcess | undefined;
const dataDir = temporaryDir("valence-fault-redis-");

before(async () => {
  redis = await startRedis();
  workers.push(...(await Promise.all([1, 2].map(() => startWorkerProcess(redis!.url, ["--cpus", "2"])))));
  dispatcher = await startDispatcherProcess(dataDir, redis.url);
  dispatcher.use();
});

after(async () => {
  forgetDispatcher();
  const dispatcherCode = await dispatcher?.stop(10_000);
  const codes = await Promise.all(workers.map((w) => w.stop()));
  await redis?.stop();
  rmSync(dataDir, { recursive: true, force: true });
  assert.equal(dispatcherCode, 0, "the dispatcher stopped cleanly");
  assert.deepEqual(codes, [0, 0], "the workers ran throughout and stopped cleanly");
});

const step = ct.electron(async function step(log: string, label: string, input: number, ms: number) {
  process.getBuiltinModule("node:fs").appendFileSync(log, `${label}\n`);
  await new Promise((resolve) => setTimeout(resolve, ms));
  return input * 2 + 1;
});
const total = ct.electron(function total(log: string, values: number[]) {
  process.getBuiltinModule("node:fs").appendFileSync(log, "total\n");
  return values.reduce((a, b) => a + b, 0);
});
const fleet = ct.lattice(
  function fleet(log: string, ms: number) {
    const parts = [];
    for (let i = 1; i <= 6; i++) parts.push(step(log, `step${i}`, i, ms));
    return { parts, total: total(log, parts) };
  },
  { executor: "bullmq" },
);
const EXPECTED = { parts: [3, 5, 7, 9, 11, 13], total: 48 };

const runs = (file: string): string[] => (existsSync(file) ? readFileSync(file, "utf8").trim().split("\n") : []);

test("Redis restarted without its data mid-dispatch: workers and dispatcher reconnect, lost jobs are enqueued again", async (t) => {
  const log = join(dataDir, "runs.log");
  const dispatch = await ct.dispatch(fleet)(log, 1500);
  // Four tasks run on the workers (two wait in Redis): now Redis goes away, and comes back empty.
  await eventually(() => (runs(log).length >= 4 ? true : undefined), 30_000);
  const downAt = Date.now();
  await redis!.down();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  await redis!.up();
  const upAt = Date.now();

  const result = await ct.getResult<typeof EXPECTED>(dispatch, { wait: true, timeoutMs: 40_000 });
  t.diagnostic(`Redis down ${upAt - downAt} ms; the dispatch finished ${Date.now() - upAt} ms after it was back`);
  assert.equal(result.status, "COMPLETED", String(result));
  assert.deepEqual(result.result, EXPECTED);
  // The executor enqueued the lost jobs again under the same attempt: no node was retried.
  for (const node of result.nodes) {
    if (node.attempts > 0) assert.equal(node.attempts, 1, `node ${node.id} took one attempt`);
  }
  const all = runs(log);
  for (let i = 1; i <= 6; i++) assert.ok(all.includes(`step${i}`), `step${i} ran: ${all}`);
  assert.equal(all.filter((l) => l === "total").length, 1, "total ran once (it was enqueued after the outage)");
  t.diagnostic(`runs: ${all.join(" ")}`);

  // Each side said what happened, and nobody crashed.
  const said = (lines: string[], pattern: RegExp): boolean => lines.some((l) => pattern.test(l));
  assert.ok(said(dispatcher!.lines, /cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+.*retrying/), "dispatcher: lost");
  assert.ok(said(dispatcher!.lines, /connected to Redis at .* again/), "dispatcher: back");
  assert.ok(said(dispatcher!.lines, /job \S+ vanished from Redis .*enqueuing it again/), "dispatcher: re-enqueued");
  for (const worker of workers) {
    assert.ok(worker.alive, `worker ${worker.pid} is still running`);
    assert.ok(said(worker.lines, /cannot reach Redis/), `worker ${worker.pid}: lost`);
    assert.ok(!said(worker.lines, /unhandled|uncaught/i), worker.lines.join("\n"));
  }
  // The tasks that ran through the outage finished on jobs Redis no longer had: their results dropped, said so.
  assert.ok(
    workers.some((w) => said(w.lines, /dropped the result of job \S+: the job is no longer this worker's/)),
    "a worker dropped a result Redis refused",
  );
  assert.ok(dispatcher!.alive);

  // Both reconnected for good: the same lattice runs again, uninterrupted, to the same result.
  const again = await ct.dispatchSync(fleet)(join(dataDir, "again.log"), 50);
  assert.equal(again.status, "COMPLETED", String(again));
  assert.deepEqual(again.result, result.result);
});
