// The scale-out examples end to end, as a user runs them: a real Redis, two real `valence worker`
// processes, and a dispatcher the script or notebook starts itself (it takes VALENCE_REDIS_URL from
// the environment). The seed workflow and a 1,000-task fan-out/fan-in run on both workers.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { startRedis, type RunningRedis } from "../support/redis.ts";
import { startWorker, type SpawnedWorker } from "./workers.ts";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../../../", import.meta.url));
const cli = join(root, "kernel", "dist", "cli", "main.js");
const expectedSum = Array.from({ length: 1000 }, (_, i) => i * i).reduce((a, b) => a + b, 0);

let redis: RunningRedis;
let workers: SpawnedWorker[] = [];
const scratch = mkdtempSync(join(tmpdir(), "valence-scale-out-"));

before(async () => {
  redis = await startRedis();
  workers = await Promise.all([startWorker(redis.url), startWorker(redis.url)]);
});

after(async () => {
  await Promise.all(workers.map((worker) => worker.stop()));
  await redis?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

/** The environment of a user who points Valence at this Redis, with a dispatcher of its own. */
function userEnvironment(dataDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, VALENCE_DATA_DIR: dataDir, VALENCE_REDIS_URL: redis.url };
  delete env.VALENCE_DISPATCHER_URL;
  delete env.VALENCE_DISPATCHER_TOKEN;
  return env;
}

/** Tasks each worker printed it ran since `from` (its line count then). */
const ranSince = (from: number[]): number[] =>
  workers.map((worker, i) => worker.lines.slice(from[i]).filter((line) => /\bok\s+\S/.test(line)).length);

test("examples/scale-out.ts runs the seed workflow and a 1,000-task fan-out on two workers", async () => {
  const dataDir = join(scratch, "script");
  const from = workers.map((worker) => worker.lines.length);
  try {
    const { stdout } = await run(process.execPath, [cli, "run", "examples/scale-out.ts"], {
      cwd: root,
      env: userEnvironment(dataDir),
      timeout: 120_000,
    });
    const seed = JSON.parse(/^result: (.*)$/m.exec(stdout)![1]!) as number[];
    assert.equal(seed.length, 10);
    assert.ok(seed.every((value) => Number.isInteger(value) && value >= 1 && value <= 102));
    assert.match(stdout, new RegExp(`^sum of squares: ${expectedSum}$`, "m"));
    const ran = ranSince(from);
    assert.ok(
      ran.every((count) => count > 0),
      `both workers ran tasks: ${ran.join(", ")}`,
    );
    assert.equal(
      ran.reduce((a, b) => a + b, 0),
      20 + 1001,
      "every task ran once",
    );
    // The result names the workers: the script prints "host (pid N): count" for each.
    for (const worker of workers) assert.match(stdout, new RegExp(`\\(pid ${worker.pid}\\): \\d+`));
  } finally {
    spawnSync(process.execPath, [cli, "stop", "--data-dir", dataDir]);
  }
});

test("examples/scale-out.ipynb runs through nbclient with the Valence kernel, on both workers", async () => {
  const dataDir = join(scratch, "notebook");
  const jupyter = join(scratch, "jupyter");
  const installed = spawnSync(process.execPath, [cli, "install", "--data-dir", jupyter, "--no-extension"]);
  assert.equal(installed.status, 0, String(installed.stderr));
  const out = join(scratch, "scale-out.out.ipynb");
  try {
    const child = spawn(
      "/usr/bin/python3",
      [join(root, "kernel", "test", "notebook", "run_notebook.py"), join(root, "examples", "scale-out.ipynb"), out],
      {
        cwd: join(root, "examples"),
        env: { ...userEnvironment(dataDir), JUPYTER_PATH: jupyter, PYDEVD_DISABLE_FILE_VALIDATION: "1" },
        stdio: ["ignore", "inherit", "pipe"],
        timeout: 180_000,
      },
    );
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const status = await new Promise<number | null>((resolve) => child.on("close", resolve));
    assert.equal(status, 0, `the notebook failed:\n${stderr}`);
    const notebook = JSON.parse(readFileSync(out, "utf8")) as {
      cells: Array<{ outputs?: Array<{ output_type: string; data?: Record<string, unknown> }> }>;
    };
    const outputs = notebook.cells.flatMap((cell) => cell.outputs ?? []);
    assert.ok(!outputs.some((o) => o.output_type === "error"), "no cell raised");
    const finals = outputs
      .map((o) => o.data?.["application/vnd.valence.dag+json"] as { dispatch?: { status: string } } | undefined)
      .filter((dag) => dag?.dispatch);
    assert.deepEqual(
      finals.map((dag) => dag!.dispatch!.status),
      ["COMPLETED", "COMPLETED"],
    );
    const last = String(outputs.at(-1)?.data?.["text/plain"] ?? "");
    assert.match(last, /^\[\s*true,/, `the sum is right: ${last}`);
    for (const worker of workers) assert.match(last, new RegExp(`\\(pid ${worker.pid}\\)'?: \\d+`));
  } finally {
    spawnSync(process.execPath, [cli, "stop", "--data-dir", dataDir]);
  }
});
