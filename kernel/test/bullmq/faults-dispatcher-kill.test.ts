import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { deserialize } from "node:v8";
import { Queue, type Job } from "bullmq";
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

// Fault (issue #9): the dispatcher process is killed with -9 while its tasks run on `valence worker`
// processes. Jobs go on without it; when it restarts it reconciles with Redis: tasks that finished
// meanwhile are collected, not run again (each task appends a line to a file, so the file counts
// runs), a job that is missing from Redis is enqueued again, and the dispatch ends with the result
// of an uninterrupted run. Real processes: redis-server, two workers, the dispatcher (twice).
let redis: RunningRedis | undefined;
let queue: Queue | undefined;
const workers: WorkerProcess[] = [];
let dispatcher: DispatcherProcess | undefined;
const dataDir = temporaryDir("valence-fault-kill-");

before(async () => {
  redis = await startRedis();
  queue = new Queue("valence", { connection: { url: redis.url } });
  // Two workers with 2 slots each: 4 tasks run at once, the rest wait in Redis.
  workers.push(...(await Promise.all([1, 2].map(() => startWorkerProcess(redis!.url, ["--cpus", "2"])))));
});

after(async () => {
  forgetDispatcher();
  await dispatcher?.stop(10_000);
  await queue?.close();
  const codes = await Promise.all(workers.map((w) => w.stop()));
  await redis?.stop();
  rmSync(dataDir, { recursive: true, force: true });
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
  function fleet(log: string, ms: number[]) {
    const parts = [];
    for (let i = 1; i <= ms.length; i++) parts.push(step(log, `step${i}`, i, ms[i - 1]!));
    return { parts, total: total(log, parts) };
  },
  { executor: "bullmq" },
);
const EXPECTED = { parts: [3, 5, 7, 9, 11, 13], total: 48 };
/** Two short and two long tasks fill the four slots; two short ones wait in Redis. */
const LONG = 10_000;
const NAPS = [1500, 1500, LONG, LONG, 1000, 1000];

const runs = (file: string): string[] => (existsSync(file) ? readFileSync(file, "utf8").trim().split("\n") : []);
const count = (lines: string[], label: string): number => lines.filter((l) => l === label).length;
/** The label a step's job carries (its arguments: log, label, input, ms). */
const labelOf = (job: Job): string => {
  const args = (job.data as { args: { inline: string } }).args;
  return (deserialize(Buffer.from(args.inline, "base64")) as [string, string])[1];
};

test("kill -9 of the dispatcher mid-dispatch: results that came meanwhile are collected, running jobs adopted, a lost job enqueued again", async (t) => {
  const log = join(dataDir, "runs.log");
  dispatcher = await startDispatcherProcess(dataDir, redis!.url);
  dispatcher.use();
  const dispatch = await ct.dispatch(fleet)(log, NAPS);

  // Four tasks run on the workers, two wait in Redis: now the dispatcher dies.
  await eventually(
    async () => (runs(log).length === 4 && (await queue!.getWaitingCount()) === 2 ? true : undefined),
    30_000,
  );
  const killedAt = Date.now();
  await dispatcher.kill();
  forgetDispatcher();

  // One waiting job disappears (as if the dispatcher had died between recording the task as started
  // and adding its job): the restarted dispatcher must enqueue it again.
  const [lost] = await queue!.getWaiting(0, 0);
  assert.ok(lost, "a job waits in Redis");
  const lostLabel = labelOf(lost);
  await lost.remove();

  // The other five go on without a dispatcher: the short ones finish (their results wait in Redis),
  // the long ones still run when it comes back.
  const survivors = [1, 2, 3, 4, 5, 6].map((i) => `step${i}`).filter((l) => l !== lostLabel);
  const long = survivors.filter((l) => NAPS[Number(l.slice(4)) - 1] === LONG);
  assert.ok(long.length >= 1, "a long task survives");
  await eventually(async () => {
    const { completed, active } = await queue!.getJobCounts("completed", "active");
    return completed === survivors.length - long.length && active === long.length ? true : undefined;
  }, 30_000);
  const ranWhileDown = runs(log);
  assert.deepEqual([...ranWhileDown].sort(), survivors, "every surviving task ran, the lost one did not");

  const restartedAt = Date.now();
  dispatcher = await startDispatcherProcess(dataDir, redis!.url);
  await dispatcher.waitFor(/resumed 1 unfinished dispatch/, 5_000);
  const adopted = (await queue!.getActive()).map(labelOf).sort();
  assert.deepEqual(adopted, long, "the long tasks still ran when the dispatcher came back");
  dispatcher.use();
  const result = await ct.getResult<typeof EXPECTED>(dispatch, { wait: true, timeoutMs: 30_000 });
  t.diagnostic(`finished ${Date.now() - restartedAt} ms after the restart (down ${restartedAt - killedAt} ms)`);
  assert.equal(result.status, "COMPLETED", String(result));
  assert.deepEqual(result.result, EXPECTED);

  // Each task ran exactly once: collected or adopted, never rerun; the lost one ran after the restart.
  const all = runs(log);
  for (let i = 1; i <= 6; i++) assert.equal(count(all, `step${i}`), 1, `step${i} ran once: ${all}`);
  assert.equal(count(all, "total"), 1, `total ran once: ${all}`);
  for (const node of result.nodes) {
    if (node.attempts > 0) assert.equal(node.attempts, 1, `node ${node.id} took one attempt`);
  }
  for (const node of result.nodes) {
    const detail = await result.getNodeResult(node.id);
    if (detail.name !== "step") continue;
    const label = `step${((detail.output as number) - 1) / 2}`;
    const started = detail.startTime!.getTime();
    if (label === lostLabel) assert.ok(started >= restartedAt, `the lost ${label} ran after the restart`);
    else assert.ok(started < restartedAt, `${label} keeps its run from before the restart`);
    if (long.includes(label)) assert.ok(started < killedAt, `${label} started before the kill`);
  }
  // Every result taken is removed from Redis, those collected after the restart included.
  await eventually(async () => {
    const counts = await queue!.getJobCounts("completed", "failed", "waiting", "active");
    return Object.values(counts).every((n) => n === 0) ? true : undefined;
  });
  assert.ok(
    dispatcher.lines.every((l) => !/Error|unhandled/i.test(l)),
    dispatcher.lines.join("\n"),
  );

  // The same lattice, uninterrupted (shorter naps): the same result, each task run once.
  const again = join(dataDir, "again.log");
  const uninterrupted = await ct.dispatchSync(fleet)(
    again,
    NAPS.map(() => 50),
  );
  assert.equal(uninterrupted.status, "COMPLETED", String(uninterrupted));
  assert.deepEqual(uninterrupted.result, result.result, "the same result as an uninterrupted run");
  assert.equal(runs(again).length, 7);
});
