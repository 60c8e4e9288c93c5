// The package as users get it, with no repository: `npm pack` of kernel/ (its prepack builds the
// JupyterLab extension and bundles @valence/schema), what the tarball holds, then an install of the
// tarball into an empty folder with npm alone and offline, and the README's commands run from there:
// `npx valence install --data-dir …`, a notebook through nbclient with that kernel, `npx valence run`,
// and the browser scenario of ui-tests/installed/ (Playwright, Debian's Chromium) against a JupyterLab
// whose only extension and kernel are the ones `valence install` put into that data dir.
//
// npm 10 and npm 11: this machine's npm installs the folder the notebook and the browser use; the other
// major (pinned in npm-majors/, installed by scripts/test.mjs) installs the same tarball into a second
// folder, and better-sqlite3 and zeromq must load from both. Only that: a second notebook and browser
// run would add a minute for code that npm does not change. The second install runs meanwhile, niced.
// better-sqlite3's install script fetches its prebuilt binary, as for a user, but from a server on
// 127.0.0.1 (npm-tools.ts, prebuiltMirror) made from the workspace's build, rather than from GitHub.
//
// Offline: a folder with no lockfile would make npm fetch registry metadata, which npm's cache here
// does not hold (the workspace was installed from its lockfile). The folder gets a lockfile made from
// the workspace's — the versions the repository tests — so npm installs from its cache alone.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { Ajv } from "ajv";
import { temporaryDir } from "../support/dispatcher.js";
import { validateDag } from "../support/schema.js";

import {
  assertNativesLoad,
  kernel,
  manifest,
  npm,
  npmMajor,
  otherMajor,
  otherNpm,
  prebuiltMirror,
  projectFor,
  root,
  runInBackground,
  userEnv,
  withoutNpmSettings,
} from "./npm-tools.ts";

interface PackReport {
  name: string;
  size: number;
  unpackedSize: number;
  filename: string;
  files: Array<{ path: string }>;
  bundled: string[];
}

const work = temporaryDir("valence-package-");
const tarballs = join(work, "tarballs");
const project = join(work, "project");
const home = join(work, "home"); // the user's XDG directories: dispatcher data, config, caches
const jupyterData = join(work, "jupyter");
const otherProject = join(work, `project-npm${otherMajor}`);
let report: PackReport;
let tarball: string;
let otherInstall: (ReturnType<typeof runInBackground> & { started: number; log: string }) | undefined;
let mirror: Awaited<ReturnType<typeof prebuiltMirror>> | undefined;

before(() => {
  // scripts/test.mjs packs before the test files run (VALENCE_TEST_PACK_REPORT, the tarball beside it).
  const packedBefore = process.env.VALENCE_TEST_PACK_REPORT;
  if (packedBefore) {
    report = (JSON.parse(readFileSync(packedBefore, "utf8")) as PackReport[])[0]!;
    tarball = join(dirname(packedBefore), report.filename);
    return;
  }
  mkdirSync(tarballs);
  const packed = npm(["pack", "--json", "--pack-destination", tarballs], kernel);
  assert.equal(packed.status, 0, packed.stderr);
  report = (JSON.parse(packed.stdout) as PackReport[])[0]!;
  tarball = join(tarballs, report.filename);
});

before(async () => {
  // The other npm major installs while this one does (see the header).
  assert.ok(existsSync(otherNpm), `${otherNpm} is missing: scripts/test.mjs installs it (npm test)`);
  mirror = await prebuiltMirror(join(work, "prebuilds"));
  projectFor(otherProject, tarball);
  const log = join(work, `npm${otherMajor}-ci.log`);
  const started = Date.now();
  otherInstall = {
    ...runInBackground(otherNpm, ["ci", "--offline", "--no-audit", "--no-fund"], otherProject, log, {
      ...withoutNpmSettings(),
      ...mirror.env,
    }),
    started,
    log,
  };
});

after(async () => {
  // The dispatcher `npx valence run` and the notebook started for this user.
  spawnSync(join(project, "node_modules", ".bin", "valence"), ["stop"], { env: userEnv(home), timeout: 30_000 });
  if (otherInstall) {
    if (otherInstall.child.exitCode === null && otherInstall.child.signalCode === null) otherInstall.child.kill();
    await otherInstall.done;
  }
  mirror?.stop();
  rmSync(work, { recursive: true, force: true });
});

test("npm pack: the built CLI, types, the prebuilt extension and the bundled schema; no tests, no source maps", (t) => {
  const paths = report.files.map((file) => file.path);
  t.diagnostic(
    `${report.filename}: ${(report.size / 1024).toFixed(0)} KiB packed, ` +
      `${(report.unpackedSize / 1024).toFixed(0)} KiB unpacked, ${paths.length} files`,
  );
  assert.equal(report.name, manifest.name);
  for (const path of [
    "package.json",
    "README.md",
    "bin/valence.js",
    "assets/logo.svg",
    "dist/index.js",
    "dist/index.d.ts",
    "dist/register.js",
    "dist/loader/hooks.mjs",
    "dist/cli/main.js",
    "dist/dispatcher/main.js",
    "labextension/package.json",
    "node_modules/@valence/schema/package.json",
    "node_modules/@valence/schema/dist/src/index.js",
    "node_modules/@valence/schema/dag.schema.json",
    "node_modules/@valence/schema/config.schema.json",
    "node_modules/@valence/schema/options.schema.json",
    "node_modules/@valence/schema/bullmq.schema.json",
  ])
    assert.ok(paths.includes(path), `${path} is in the package`);
  assert.ok(
    paths.some((path) => /^labextension\/static\/remoteEntry\.[0-9a-f]+\.js$/.test(path)),
    "the extension's remote entry",
  );
  assert.deepEqual(report.bundled, ["@valence/schema"]);
  const unwanted = paths.filter(
    (path) =>
      /(^|\/)(test|tests|fixtures)\//.test(path) ||
      /\.(test|spec)\.[cm]?[jt]s$/.test(path) ||
      /\.map$/.test(path) ||
      /\.tsbuildinfo$/.test(path) ||
      (/\.ts$/.test(path) && !/\.d\.ts$/.test(path)),
  );
  assert.deepEqual(unwanted, []);
  assert.ok(report.size < 2 * 1024 * 1024, `packed size ${report.size} stays under 2 MiB`);
  // postpack removed its copies: the workspace resolves ../schema and ../extension again.
  assert.ok(!existsSync(join(kernel, "node_modules", "@valence", "schema")));
  assert.ok(!existsSync(join(kernel, "labextension")));
});

test("installed from the tarball offline with this npm: `valence install`, a notebook through nbclient, `valence run`", async (t) => {
  projectFor(project, tarball);
  mkdirSync(home);
  let started = Date.now();
  const installed = npm(["ci", "--offline", "--no-audit", "--no-fund"], project, mirror!.env);
  assert.equal(installed.status, 0, installed.stderr);
  t.diagnostic(`npm ${npmMajor} ci --offline of the tarball: ${((Date.now() - started) / 1000).toFixed(1)} s`);

  // The README's "$schema" of valence.config.json points here.
  const configSchema = join("node_modules", manifest.name, "node_modules", "@valence", "schema", "config.schema.json");
  assert.ok(existsSync(join(project, configSchema)), configSchema);

  assertNativesLoad(project);

  const npx = (args: string[]) =>
    spawnSync("npx", ["--offline", ...args], { cwd: project, encoding: "utf8", env: userEnv(home), timeout: 120_000 });
  const install = npx(["valence", "install", "--data-dir", jupyterData]);
  assert.equal(install.status, 0, install.stderr);
  assert.equal(install.stderr, "", "no warning: the extension is in the package");
  const extension = join(jupyterData, "labextensions", "@valence", "jupyterlab-extension");
  assert.ok(existsSync(join(extension, "package.json")), install.stdout);
  assert.ok(readdirSync(join(extension, "static")).some((name) => name.startsWith("remoteEntry.")));
  const kernelJson = JSON.parse(readFileSync(join(jupyterData, "kernels", "valence", "kernel.json"), "utf8")) as {
    argv: string[];
  };
  assert.ok(kernelJson.argv[1]!.startsWith(join(project, "node_modules", manifest.name)), kernelJson.argv.join(" "));

  // The README's "Install from npm" lines: the first is what this test did from the tarball (the
  // package is not fetched from the registry), the second runs as written, into $JUPYTER_DATA_DIR.
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const installBlock = /\n## Install from npm\n[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme);
  assert.ok(installBlock, "README's Install from npm block");
  const lines = installBlock[1]!
    .split("\n")
    .map((line) => line.replace(/\s+#.*$/, "").trim())
    .filter(Boolean);
  assert.deepEqual(lines, [`npm install ${manifest.name}`, "npx valence install"]);
  const defaultData = join(work, "jupyter-default");
  const asWritten = spawnSync("sh", ["-c", lines[1]!], {
    cwd: project,
    encoding: "utf8",
    env: { ...userEnv(home), JUPYTER_DATA_DIR: defaultData },
    timeout: 120_000,
  });
  assert.equal(asWritten.status, 0, asWritten.stderr);
  assert.ok(existsSync(join(defaultData, "kernels", "valence", "kernel.json")), asWritten.stdout);
  assert.ok(existsSync(join(defaultData, "labextensions", "@valence", "jupyterlab-extension", "package.json")));

  // A notebook in the user's folder, as the README's "Ten lines" write it.
  const notebook = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "valence", display_name: "TypeScript (Valence)", language: "typescript" } },
    cells: [
      `import * as ct from "${manifest.name}";`,
      "const inc = ct.electron((n: number) => n + 1, { name: 'inc' });\n" +
        "const flow = ct.lattice(function flow(n: number) { return [inc(n), inc(inc(n))]; });\n" +
        "flow.draw(1);",
      "const run = await ct.dispatch(flow)(1);\nrun;",
      "const result = await ct.getResult(run, { wait: true });\nresult;",
      "result.result;",
    ].map((source, i) => ({
      id: `c${i}`,
      cell_type: "code",
      source,
      metadata: {},
      outputs: [],
      execution_count: null,
    })),
  };
  writeFileSync(join(project, "try.ipynb"), JSON.stringify(notebook));
  started = Date.now();
  const out = join(work, "try.out.ipynb");
  const child = spawn(
    "/usr/bin/python3",
    [join(import.meta.dirname, "..", "notebook", "run_notebook.py"), join(project, "try.ipynb"), out],
    { cwd: project, env: { ...userEnv(home), JUPYTER_PATH: jupyterData }, stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  assert.equal(await new Promise((resolve) => child.on("close", resolve)), 0, stderr);
  t.diagnostic(`notebook through nbclient: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  type Output = { output_type: string; data?: Record<string, unknown> };
  const executed = JSON.parse(readFileSync(out, "utf8")) as { cells: Array<{ outputs: Output[] }> };
  const outputs = executed.cells.flatMap((cell) => cell.outputs);
  assert.ok(!outputs.some((o) => o.output_type === "error"), JSON.stringify(outputs));
  const dags = outputs.filter((o) => o.data?.["application/vnd.valence.dag+json"]);
  assert.ok(dags.length >= 2, "the drawn lattice and the dispatch");
  for (const output of dags) {
    validateDag(output.data!["application/vnd.valence.dag+json"]);
    assert.match(String(output.data!["image/svg+xml"]), /^<svg[\s\S]*<\/svg>\s*$/);
  }
  // The Result's DAG: the dispatch completed in the dispatcher the kernel started for this user.
  const final = dags.at(-1)!.data!["application/vnd.valence.dag+json"] as { dispatch?: { status: string } };
  assert.equal(final.dispatch?.status, "COMPLETED");
  const last = outputs.at(-1)!.data?.["text/plain"];
  assert.equal(String(last), "[ 2, 3 ]");

  writeFileSync(
    join(project, "flow.ts"),
    `import * as ct from "${manifest.name}";\n` +
      "const double = ct.electron((n: number) => n * 2, { name: 'double' });\n" +
      "const flow = ct.lattice(function flow(n: number) { return double(double(n)); });\n" +
      "void ct.dispatchSync(flow)(5).then((r) => console.log('result', r.result));\n",
  );
  const ran = npx(["valence", "run", "flow.ts"]);
  assert.equal(ran.status, 0, ran.stderr);
  assert.match(ran.stdout, /^result 20$/m);

  // What an install that skipped better-sqlite3's install script leaves: no binary. The dispatcher
  // says what to run instead of only "Could not locate the bindings file".
  const build = join(project, "node_modules", "better-sqlite3", "build");
  renameSync(build, `${build}.away`);
  try {
    const start = npx(["valence", "start", "--foreground", "--data-dir", join(work, "no-binary")]);
    assert.equal(start.status, 1, start.stdout);
    assert.match(start.stderr, /^valence: better-sqlite3 .* npm rebuild better-sqlite3`\.$/m);
  } finally {
    renameSync(`${build}.away`, build);
  }
});

/** The part of lab/scripts/serve.mjs used here (plain JavaScript, typed by its JSDoc). */
interface LabServer {
  baseUrl: string;
  token: string;
  stop(): Promise<void>;
}
type StartLab = (options: {
  rootDir: string;
  dataDir: string;
  configDir: string;
  labextensions: string[];
  defaultKernel: string;
  log: string;
  env: NodeJS.ProcessEnv;
}) => Promise<LabServer>;

test("in JupyterLab with only what `valence install` put into the data dir, a dispatch's DAG is drawn live until it completes", async (t) => {
  const extension = join(jupyterData, "labextensions", "@valence", "jupyterlab-extension", "package.json");
  assert.ok(existsSync(extension), "the test before installed the package and its extension");
  const playwright = join(root, "ui-tests", "node_modules", "@playwright", "test", "cli.js");
  assert.ok(
    existsSync(playwright) && existsSync(join(root, "lab", "dist", "static", "index.html")),
    "the browser tests are not set up: run `node ui-tests/prepare.mjs` (npm test does)",
  );
  const serve = pathToFileURL(join(root, "lab", "scripts", "serve.mjs")).href;
  const { startLab } = (await import(serve)) as { startLab: StartLab };
  const started = Date.now();
  const lab = await startLab({
    rootDir: project,
    dataDir: jupyterData,
    configDir: join(work, "jupyter-config"),
    labextensions: [], // not the repository's extension/dist: the data dir's alone
    defaultKernel: "valence",
    log: join(work, "jupyterlab.log"),
    env: userEnv(home),
  });
  try {
    const clean = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !name.startsWith("VALENCE_") && !name.startsWith("PLAYWRIGHT_")),
    );
    const run = spawn(process.execPath, [playwright, "test", "--config", "playwright.installed.config.ts"], {
      cwd: join(root, "ui-tests"),
      env: {
        ...clean,
        PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: "1",
        VALENCE_LAB_BASE_URL: lab.baseUrl,
        VALENCE_LAB_TOKEN: lab.token,
        VALENCE_INSTALLED_GATE: join(work, "gate"),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    run.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    run.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const status = await new Promise((resolve) => run.on("close", resolve));
    const log = readFileSync(join(work, "jupyterlab.log"), "utf8");
    assert.equal(status, 0, `${output}\nJupyterLab's log:\n${log}`);
  } finally {
    await lab.stop();
  }
  t.diagnostic(`JupyterLab and the browser scenario: ${((Date.now() - started) / 1000).toFixed(1)} s`);
});

test("README's valence.config.json in the installed project: its $schema accepts it, and the dispatcher starts with it", () => {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const blocks = [...readme.matchAll(/^```json\n([\s\S]*?)^```$/gm)];
  assert.equal(blocks.length, 1, "the README has one JSON block: the config file");
  const text = blocks[0]![1]!;
  writeFileSync(join(project, "valence.config.json"), text);
  const config = JSON.parse(text) as { $schema: string; executors: Record<string, { type: string }> };

  // The "$schema" path, from the config file's folder, is the package's copy of the schema.
  const schema = JSON.parse(readFileSync(join(project, config.$schema), "utf8")) as object;
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(schema);
  assert.ok(validate(config), JSON.stringify(validate.errors, null, 2));

  // "mine" names an executor package, installed where the config file is: a real one, made with the
  // package's public API (the inline executor), stands in for "my-executor-package".
  const plugin = join(project, "node_modules", config.executors.mine!.type);
  mkdirSync(plugin, { recursive: true });
  writeFileSync(join(plugin, "package.json"), JSON.stringify({ name: config.executors.mine!.type, main: "index.js" }));
  writeFileSync(
    join(plugin, "index.js"),
    `const { InlineExecutor } = require("${manifest.name}");\n` +
      "exports.createExecutor = () => new InlineExecutor({});\n",
  );

  // A dispatcher of its own (not the one the notebook started), found from the project folder.
  const env = { ...userEnv(home), VALENCE_DATA_DIR: join(work, "configured") };
  const valence = (command: string) =>
    spawnSync("npx", ["--offline", "valence", command], { cwd: project, encoding: "utf8", env, timeout: 120_000 });
  const start = valence("start");
  try {
    assert.equal(start.status, 0, start.stderr);
    const status = valence("status");
    assert.equal(status.status, 0, status.stderr);
    assert.ok(status.stdout.includes(join(project, "valence.config.json")), status.stdout);
    assert.match(status.stdout, /^ {4}gpu-queue → bullmq$/m);
    assert.match(status.stdout, /^ {4}mine → my-executor-package$/m);
  } finally {
    valence("stop");
  }
});

test(`installed from the tarball offline with npm ${otherMajor}: better-sqlite3 and zeromq load`, async (t) => {
  assert.ok(otherInstall, "the install started");
  const { status, ended } = await otherInstall.done;
  assert.equal(status, 0, readFileSync(otherInstall.log, "utf8"));
  t.diagnostic(
    `npm ${otherMajor} ci --offline of the tarball: ${((ended - otherInstall.started) / 1000).toFixed(1)} s ` +
      "(beside the other install)",
  );
  const version = spawnSync(process.execPath, [otherNpm, "--version"], { encoding: "utf8" }).stdout.trim();
  assert.equal(Number(version.split(".")[0]), otherMajor, version);
  assert.ok(existsSync(join(otherProject, "node_modules", manifest.name, "labextension", "package.json")));
  assertNativesLoad(otherProject);
});
