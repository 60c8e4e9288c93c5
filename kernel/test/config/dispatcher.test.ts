import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as ct from "valence-workflows";
import { resetConnection } from "#src/client/connection.js";
import { temporaryDir } from "../support/dispatcher.ts";
import { PACKAGE_NAME, cliEnv, makeProject, runCli, startForeground, stopForeground } from "./project.ts";

const onDefault = ct.electron(function onDefault(x: number) {
  return x + 1;
});
const onLocal = ct.electron(
  function onLocal(x: number) {
    return x * 2;
  },
  { executor: "local" },
);
const onMine = ct.electron(
  function onMine(x: number) {
    return x * 3;
  },
  { executor: "mine" },
);
const onGpu = ct.electron(
  function onGpu(x: number) {
    return x;
  },
  { executor: "gpu-queue" },
);
const flow = ct.lattice(function flow(x: number) {
  return [onDefault(x), onLocal(x), onMine(x)];
});

/** Each electron's name → the log lines the fixture executor added (tagged `[tag]`). */
async function taggedLogs(result: ct.Result, tag: string): Promise<Record<string, string[]>> {
  const byName: Record<string, string[]> = {};
  for (const node of result.nodes) {
    const detail = await result.getNodeResult(node.id);
    if (!detail.name.startsWith("on")) continue; // parameter nodes
    byName[detail.name] = detail.logs.map((l) => l.text.trim()).filter((t) => t.startsWith(`[${tag}]`));
  }
  return byName;
}

/** Points the client at the dispatcher of `dataDir` (its runtime file), as scripts find theirs. */
function useDataDir(dataDir: string | undefined): void {
  if (dataDir) process.env.VALENCE_DATA_DIR = dataDir;
  else delete process.env.VALENCE_DATA_DIR;
  delete process.env.VALENCE_DISPATCHER_URL;
  resetConnection();
}

test("a dispatcher process started with --config loads the executor package it names and routes electrons by executor and defaultExecutor", async () => {
  const project = makeProject({ defaultExecutor: "mine", executors: { mine: { type: PACKAGE_NAME, tag: "T" } } });
  const config = join(project, "valence.config.json");
  const dataDir = join(project, "data");
  // Started elsewhere: --config, not the working directory, brings the project's config.
  const elsewhere = temporaryDir("valence-elsewhere-");
  const { child, output } = await startForeground(["--data-dir", dataDir, "--config", config], { cwd: elsewhere });
  useDataDir(dataDir);
  try {
    assert.match(output(), new RegExp(`^config: ${config}$`, "m"));
    const result = await ct.dispatchSync(flow)(10);
    assert.equal(result.status, "COMPLETED", String(result));
    assert.deepEqual(result.result, [11, 20, 30]);
    const ran = `[T] executor "mine" (data ${dataDir}) ran`;
    assert.deepEqual(await taggedLogs(result, "T"), {
      onDefault: [`${ran} onDefault`],
      onLocal: [],
      onMine: [`${ran} onMine`],
    });

    // An executor the dispatcher does not have fails the dispatch itself, naming it, the ones there are, and the config.
    await assert.rejects(
      ct.dispatch(
        ct.lattice(function needsGpu() {
          return onGpu(1);
        }),
      )(),
      (error: Error) => {
        assert.equal(error.name, "DispatcherError");
        assert.match(
          error.message,
          new RegExp(
            `^electron "onGpu" \\(node \\d+\\) asks for executor "gpu-queue", which this dispatcher does not have ` +
              `\\(executors: local, inline, mine(, bullmq)?; config: ${config.replaceAll(".", "\\.")}\\)$`,
          ),
        );
        return true;
      },
    );

    const status = await runCli(["status", "--data-dir", dataDir]);
    assert.equal(status.code, 0, status.out);
    assert.match(status.out, new RegExp(`^  config: ${config}$`, "m"));
    assert.match(status.out, /^ {4}local → local$/m);
    assert.match(status.out, /^ {4}inline → inline$/m);
    assert.match(status.out, new RegExp(`^ {4}mine → ${PACKAGE_NAME} \\(default\\)$`, "m"));
  } finally {
    await stopForeground(child);
    useDataDir(undefined);
    rmSync(project, { recursive: true, force: true });
    rmSync(elsewhere, { recursive: true, force: true });
  }
});

test("without a config file the dispatcher has the built-in executors, local by default, and status says so", async () => {
  const dataDir = temporaryDir();
  // Its working directory (the data directory) has no config, nor have its parents (the temporary directory).
  const { child } = await startForeground(["--data-dir", dataDir], { cwd: dataDir });
  useDataDir(dataDir);
  try {
    const result = await ct.dispatchSync(
      ct.lattice(function plain(x: number) {
        return [onDefault(x), onLocal(x)];
      }),
    )(1);
    assert.deepEqual(result.result, [2, 2]);
    await assert.rejects(ct.dispatch(flow)(1), /asks for executor "mine", .*; config: no config file\)$/);
    const status = await runCli(["status", "--data-dir", dataDir]);
    assert.match(status.out, /^ {2}config: none \(built-in executors\)$/m);
    assert.match(status.out, /^ {4}local → local \(default\)$/m);
  } finally {
    await stopForeground(child);
    useDataDir(undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("the dispatcher a script starts on its first dispatch gets the config of the script's project (--config)", async () => {
  const project = makeProject({ executors: { mine: { type: PACKAGE_NAME, tag: "auto" } } });
  const config = join(project, "valence.config.json");
  const dataDir = join(project, "data");
  const cwd = process.cwd();
  const saved = { VALENCE_CONFIG: process.env.VALENCE_CONFIG, XDG_CONFIG_HOME: process.env.XDG_CONFIG_HOME };
  Object.assign(process.env, cliEnv());
  delete process.env.VALENCE_CONFIG;
  process.chdir(join(project, "node_modules", ".."));
  useDataDir(dataDir);
  try {
    const result = await ct.dispatchSync(
      ct.lattice(function embedded(x: number) {
        return onMine(x);
      }),
    )(2);
    assert.equal(result.result, 6);
    assert.deepEqual((await taggedLogs(result, "auto")).onMine, [
      `[auto] executor "mine" (data ${dataDir}) ran onMine`,
    ]);
    const { pid } = JSON.parse(readFileSync(join(dataDir, "dispatcher.json"), "utf8")) as { pid: number };
    const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    assert.equal(argv[argv.indexOf("--config") + 1], config, argv.join(" "));
    assert.match((await runCli(["status", "--data-dir", dataDir])).out, new RegExp(`^  config: ${config}$`, "m"));
  } finally {
    process.chdir(cwd);
    await runCli(["stop", "--data-dir", dataDir]);
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    useDataDir(undefined);
    rmSync(project, { recursive: true, force: true });
  }
});

test("valence start in a project starts the background dispatcher with the project's config, and says when a running one has another", async () => {
  const project = makeProject({ defaultExecutor: "inline" }, { install: false });
  const config = join(project, "valence.config.json");
  const dataDir = join(project, "data");
  const other = join(project, "other.json");
  writeFileSync(other, "{}");
  try {
    const started = await runCli(["start", "--data-dir", dataDir], { cwd: project });
    assert.equal(started.code, 0, started.out);
    const status = await runCli(["status", "--data-dir", dataDir]);
    assert.match(status.out, new RegExp(`^  config: ${config}$`, "m"));
    assert.match(status.out, /^ {4}inline → inline \(default\)$/m);
    const again = await runCli(["start", "--data-dir", dataDir, "--config", other], { cwd: project });
    assert.match(again.out, /already running/);
    assert.match(again.out, new RegExp(`with config ${config}, not ${other}: \`valence stop\` it first to change`));
  } finally {
    await runCli(["stop", "--data-dir", dataDir]);
    rmSync(project, { recursive: true, force: true });
  }
});
