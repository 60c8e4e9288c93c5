// What a user did: electrons that return at once, with `timeoutMs: 300`, as the first tasks of fresh
// `valence worker`s. A worker took each job, then started a task thread and loaded Valence in it;
// that time counted against the task (its start was reported when the job was taken), so a task
// could time out before it ran. The timeout counts the task's own run, as on the local executor.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import * as ct from "valence-workflows";
import { BullMQExecutor } from "#src/executors/bullmq/index.js";
import { temporaryDir } from "../support/dispatcher.ts";
import { startRedis, type RunningRedis } from "../support/redis.ts";
import { startScaleOutDispatcher, stopScaleOutDispatcher } from "./dispatcher.ts";
import { startWorker, type SpawnedWorker } from "./workers.ts";

let redis: RunningRedis | undefined;
let workers: SpawnedWorker[] = [];
let dispatcher: ct.RunningDispatcher | undefined;
const dataDir = temporaryDir();

before(async () => {
  redis = await startRedis();
  workers = await Promise.all([1, 2].map(() => startWorker(redis!.url, ["--cpus", "2"])));
  dispatcher = await startScaleOutDispatcher(dataDir, new BullMQExecutor({ redis: redis.url }));
});

after(async () => {
  await stopScaleOutDispatcher(dispatcher, dataDir);
  await Promise.all(workers.map((w) => w.stop()));
  await redis?.stop();
});

const quick = ct.electron(
  function quick(x: number) {
    return { x, node: ct.taskContext().nodeId };
  },
  { timeoutMs: 300 },
);

test("instant electrons with timeoutMs 300 complete on fresh bullmq workers", async () => {
  const wf = ct.lattice(
    function coldWorkers() {
      return [1, 2, 3, 4, 5, 6].map((x) => quick(x));
    },
    { executor: "bullmq" },
  );
  const result = await ct.dispatchSync(wf)();
  assert.equal(result.status, "COMPLETED", String(result));
  assert.deepEqual(
    result.nodes.filter((n) => n.attempts > 0).map((n) => n.attempts),
    [1, 1, 1, 1, 1, 1],
  );
});
