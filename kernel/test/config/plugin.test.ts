import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { executorConformance, type ExecutorFactory } from "valence-workflows";
import { createExecutors, loadConfig } from "#src/config/index.js";
import { createExecutorOfType } from "#src/executors/plugin.js";
import { temporaryDir } from "../support/dispatcher.ts";
import { PACKAGE_NAME, makeProject } from "./project.ts";

const project = makeProject({ executors: { mine: { type: PACKAGE_NAME } } });
const dataDir = join(project, "data");
after(() => rmSync(project, { recursive: true, force: true }));

// The fixture package, loaded the way the dispatcher loads it (resolved from the config's directory),
// passes the same suite as the built-in executors.
executorConformance(PACKAGE_NAME, () => createExecutorOfType(PACKAGE_NAME, {}, { name: "mine", dataDir }, project));

test("a config's executors: built-in local and inline with their sections, named entries, the default", async () => {
  const dir = makeProject({
    defaultExecutor: "mine",
    local: { maxWorkers: 3, memoryMB: 3000 },
    executors: { mine: { type: PACKAGE_NAME, workers: 1 }, tiny: { type: "inline", concurrency: 1 } },
  });
  const set = await createExecutors(loadConfig(join(dir, "valence.config.json")), dataDir);
  try {
    assert.equal(set.defaultName, "mine");
    assert.equal(set.configFile, join(dir, "valence.config.json"));
    assert.deepEqual(
      Object.entries(set.types).filter(([name]) => name !== "bullmq"),
      [
        ["local", "local"],
        ["inline", "inline"],
        ["mine", PACKAGE_NAME],
        ["tiny", "inline"],
      ],
    );
    assert.deepEqual(set.executors.local!.capacity, { cpus: 3, memoryMB: 3000, gpus: 0 });
    assert.equal(set.executors.mine!.capacity.cpus, 1);
    assert.equal(set.executors.tiny!.capacity.cpus, 1);
  } finally {
    await Promise.all(Object.values(set.executors).map((e) => e.close()));
    rmSync(dir, { recursive: true, force: true });
  }
});

test("without a config: local and inline, local by default", async () => {
  const set = await createExecutors(undefined, dataDir);
  try {
    assert.equal(set.defaultName, "local");
    assert.equal(set.configFile, undefined);
    assert.deepEqual(Object.keys(set.types).slice(0, 2), ["local", "inline"]);
  } finally {
    await Promise.all(Object.values(set.executors).map((e) => e.close()));
  }
});

/** The error creating the executors of a config whose "mine" entry is `entry`, with paths as FILE / DIR. */
async function failure(entry: Record<string, unknown>, files: Record<string, string> = {}): Promise<string> {
  const dir = makeProject({ executors: { mine: entry } });
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  try {
    const set = await createExecutors(loadConfig(join(dir, "valence.config.json")), dataDir);
    await Promise.all(Object.values(set.executors).map((e) => e.close()));
    return "(no error)";
  } catch (error) {
    return (error as Error).message.replaceAll(join(dir, "valence.config.json"), "FILE").replaceAll(dir, "DIR");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("an executor package that cannot be used fails the start with an error naming the executor and the package", async () => {
  assert.equal(
    await failure({ type: "no-such-executor-package" }),
    'config FILE: executor "mine" (type "no-such-executor-package"): cannot find the package "no-such-executor-package" ' +
      "from DIR or Valence's own installation — install it where the config file is (npm install no-such-executor-package)",
  );
  assert.equal(
    await failure({ type: "./plain.js" }, { "plain.js": "exports.somethingElse = 1;" }),
    'config FILE: executor "mine" (type "./plain.js"): module "./plain.js" (DIR/plain.js) does not export ' +
      "createExecutor(options, context) — an executor module exports that function",
  );
  assert.equal(
    await failure({ type: "./odd.js" }, { "odd.js": "exports.createExecutor = () => ({ submit() {} });" }),
    'config FILE: executor "mine" (type "./odd.js"): createExecutor returned something that is not an Executor: ' +
      "no close() method; no capacity { cpus, memoryMB, gpus }",
  );
  assert.equal(
    await failure({ type: PACKAGE_NAME, fail: "no GPU here" }),
    `config FILE: executor "mine" (type "${PACKAGE_NAME}"): createExecutor failed: refusing to start: no GPU here`,
  );
});

test("the built-in bullmq executor exists without a config entry; a bullmq entry's options are checked by the config's schema", async () => {
  const set = await createExecutors(undefined, dataDir);
  try {
    assert.equal(set.types.bullmq, "bullmq");
  } finally {
    await Promise.all(Object.values(set.executors).map((e) => e.close()));
  }
  assert.match(
    await failure({ type: "bullmq", redis: "http://127.0.0.1:6379" }),
    /^invalid config FILE: at executors\.mine\.redis: must be a redis:\/\/ or rediss:\/\/ URL/,
  );
});

test("an ES module package (only an import condition) is loaded with import()", async () => {
  const dir = temporaryDir("valence-esm-");
  const pkg = join(dir, "node_modules", "esm-executor");
  mkdirSync(pkg, { recursive: true });
  writeFileSync(
    join(pkg, "package.json"),
    JSON.stringify({ name: "esm-executor", type: "module", exports: { ".": { import: "./main.js" } } }),
  );
  writeFileSync(
    join(pkg, "main.js"),
    // Top-level await: require() cannot load it even where it loads ES modules.
    "await Promise.resolve();\n" +
      "export async function createExecutor(options, context) {\n" +
      "  await new Promise((r) => setTimeout(r, 1));\n" +
      "  return { name: context.name, capacity: { cpus: options.cpus, memoryMB: 1, gpus: 0 },\n" +
      "    submit: () => Promise.reject(new Error('unused')), close: async () => {} };\n" +
      "}\n",
  );
  try {
    const executor = await createExecutorOfType("esm-executor", { cpus: 5 }, { name: "e", dataDir }, dir);
    assert.deepEqual(executor.capacity, { cpus: 5, memoryMB: 1, gpus: 0 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the plugin contract type accepts a factory as a package would write it", () => {
  const factory: ExecutorFactory = (options, context) => {
    void options;
    return {
      name: context.name,
      capacity: { cpus: 1, memoryMB: 1, gpus: 0 },
      submit: () => new Promise(() => {}),
      close: async () => {},
    };
  };
  assert.equal(typeof factory, "function");
});
