// `valence run` says why a run waits: a task no connected worker can take prints its reason under
// the progress display (once), and the run finishes when a worker connects.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startRedis, type RunningRedis } from "../support/redis.ts";
import { startWorker, type SpawnedWorker } from "./workers.ts";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const cli = join(root, "kernel", "dist", "cli", "main.js");
const script = join(root, "kernel", "test", "fixtures", "bullmq-flow.ts");
const dataDir = mkdtempSync(join(tmpdir(), "valence-progress-"));
let redis: RunningRedis;
let worker: SpawnedWorker | undefined;

before(async () => (redis = await startRedis()));
after(async () => {
  await worker?.stop();
  spawnSync(process.execPath, [cli, "stop", "--data-dir", dataDir]);
  await redis?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

test("valence run prints why a task waits for a worker, then finishes once one connects", async () => {
  const env: NodeJS.ProcessEnv = { ...process.env, VALENCE_DATA_DIR: dataDir, VALENCE_REDIS_URL: redis.url };
  delete env.VALENCE_DISPATCHER_URL;
  delete env.VALENCE_DISPATCHER_TOKEN;
  const child = spawn(process.execPath, [cli, "run", script], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no waiting line within 30 s:\n${stderr}`)), 30_000);
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      if (/onWorkers: double \(node \d+\) waits: no worker/.test(stderr)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  assert.equal(child.exitCode, null, "still waiting, not failed");
  worker = await startWorker(redis.url);
  assert.equal(await exited, 0, stderr);
  assert.match(stdout, /^result: 42$/m);
  assert.equal(stderr.match(/waits:/g)?.length, 1, `the reason is printed once:\n${stderr}`);
  assert.match(stderr, /onWorkers: 1\/1 tasks done, 0 failed/);
});
