import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as ct from "valence-workflows";
import { loadConfig } from "#src/config/index.js";
import { resetConnection } from "#src/client/connection.js";
import { temporaryDir } from "../support/dispatcher.ts";
import { cliEnv, makeProject, runCli } from "./project.ts";

/** loadConfig's error for `text` as a config file's content: the message with the file as FILE. */
function problemWith(text: string): string {
  const dir = temporaryDir("valence-invalid-");
  const file = join(dir, "valence.config.json");
  writeFileSync(file, text);
  try {
    loadConfig(file);
    return "(no error)";
  } catch (error) {
    assert.equal((error as Error).name, "ConfigError");
    return (error as Error).message.replaceAll(file, "FILE");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("a valid config loads: named executors, sections, $schema", () => {
  const dir = makeProject(
    {
      $schema: "./node_modules/@valence/schema/config.schema.json",
      defaultExecutor: "gpu-queue",
      executors: {
        "gpu-queue": { type: "bullmq", redis: "redis://127.0.0.1:6379", queue: "gpu" },
        mine: { type: "my-executor-package", anything: 1 },
        small: { type: "local", maxWorkers: 1 },
      },
      local: { maxWorkers: 4 },
      inline: { concurrency: 2 },
    },
    { install: false },
  );
  try {
    const loaded = loadConfig(join(dir, "valence.config.json"));
    assert.equal(loaded.dir, dir);
    assert.equal(loaded.document.defaultExecutor, "gpu-queue");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("each problem names the file, the JSON path and what is wrong", () => {
  assert.equal(
    problemWith(JSON.stringify({ local: { workers: 4 } })),
    'invalid config FILE: at local: unknown option "workers" (did you mean "maxWorkers"?)',
  );
  assert.equal(
    problemWith(JSON.stringify({ executors: { "gpu-queue": { type: "bullmq", redis: 6379 } } })),
    'invalid config FILE: at executors["gpu-queue"].redis: must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379',
  );
  assert.equal(
    problemWith(JSON.stringify({ executors: { mine: { anything: 1 } } })),
    'invalid config FILE: at executors.mine: missing "type" (local, inline, bullmq, or the name of an npm package that exports createExecutor)',
  );
  assert.equal(
    problemWith(JSON.stringify({ executors: { small: { type: "local", maxWorkers: 0 } } })),
    "invalid config FILE: at executors.small.maxWorkers: must be >= 1 (got 0)",
  );
  assert.equal(
    problemWith(JSON.stringify({ defaultExecutor: "gpu", executors: { mine: { type: "x" } } })),
    'invalid config FILE: at defaultExecutor: there is no executor named "gpu" (executors: local, inline, bullmq, mine)',
  );
  assert.equal(
    problemWith(JSON.stringify({ local: {}, executors: { local: { type: "local" } } })),
    'invalid config FILE: at local: the "local" executor is configured twice, here and under executors.local; keep one',
  );
  assert.equal(
    problemWith(JSON.stringify({ defaultExecuter: "local", inline: { concurrency: "2" } })),
    "invalid config FILE:\n" +
      '  at (top level): unknown setting "defaultExecuter" (did you mean "defaultExecutor"?)\n' +
      '  at inline.concurrency: must be number (got "2")',
  );
  assert.equal(problemWith("[]"), "invalid config FILE: at (top level): must be object (got [])");
});

test("a config that is not JSON names the line and column", () => {
  assert.match(
    problemWith('{\n  "defaultExecutor": "local",\n}\n'),
    /^invalid config FILE: is not valid JSON: .* \(line 3, column 1\)$/,
  );
});

test("valence start with an invalid config says why, exits 1, and no dispatcher starts", async () => {
  const dir = makeProject({ executors: { "gpu-queue": { type: "bullmq", queue: "gpu:1" } } }, { install: false });
  const dataDir = join(dir, "data");
  try {
    for (const args of [["start", "--foreground"], ["start"]]) {
      const run = await runCli([...args, "--data-dir", dataDir], { cwd: dir, env: cliEnv() });
      assert.equal(run.code, 1, run.out);
      assert.equal(
        run.out.trim(),
        `valence: invalid config ${join(dir, "valence.config.json")}: at executors["gpu-queue"].queue: may contain only letters, digits, "_" and "-"`,
      );
      assert.equal(existsSync(join(dataDir, "dispatcher.json")), false);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a script whose project config is invalid gets the config's error from its first dispatch, and no dispatcher starts", async () => {
  const dir = makeProject({ local: { workers: 4 } }, { install: false });
  const dataDir = join(dir, "data");
  const cwd = process.cwd();
  const saved = process.env.VALENCE_DATA_DIR;
  const savedConfig = process.env.VALENCE_CONFIG;
  delete process.env.VALENCE_CONFIG; // the project's file is the one found
  process.chdir(dir);
  process.env.VALENCE_DATA_DIR = dataDir;
  resetConnection();
  try {
    const noop = ct.electron(function noop() {});
    await assert.rejects(
      ct.dispatch(
        ct.lattice(function broken() {
          return noop();
        }),
      )(),
      {
        name: "ConfigError",
        message: `invalid config ${join(dir, "valence.config.json")}: at local: unknown option "workers" (did you mean "maxWorkers"?)`,
      },
    );
    assert.equal(existsSync(join(dataDir, "dispatcher.json")), false);
  } finally {
    process.chdir(cwd);
    if (saved === undefined) delete process.env.VALENCE_DATA_DIR;
    else process.env.VALENCE_DATA_DIR = saved;
    if (savedConfig !== undefined) process.env.VALENCE_CONFIG = savedConfig;
    resetConnection();
    rmSync(dir, { recursive: true, force: true });
  }
});
