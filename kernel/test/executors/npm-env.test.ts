// npm environments without the network: a fake `npm` first on PATH records each run, so these tests
// prove what runs npm and what does not (one install for concurrent processes, a half-finished
// install redone, a failure reported and retried). The real npm is used in test/e2e/deps.test.ts.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { homedir, hostname } from "node:os";
import { delimiter, join } from "node:path";
import { temporaryDir } from "../support/dispatcher.ts";
import { cacheDirectory } from "#src/cache-directory.js";
import { npmEnvironment, npmEnvironmentDir, npmInstallCount } from "#src/executors/npm-env.js";
import { errorLines, hintFor } from "#src/executors/npm-install.js";

const MODULE = join(import.meta.dirname, "..", "..", "dist", "executors", "npm-env.js");
const bin = temporaryDir("valence-fake-npm-");
const runs = join(bin, "runs.log");
const saved = { PATH: process.env.PATH, VALENCE_CACHE_DIR: process.env.VALENCE_CACHE_DIR };

// Installs each spec's package as a module exporting its spec, after a pause (so installs overlap);
// a package named offline-… fails as npm does without a network.
const FAKE_NPM = `#!${process.execPath}
const fs = require("node:fs"), path = require("node:path");
const args = process.argv.slice(2);
const prefix = args[args.indexOf("--prefix") + 1];
const specs = args.slice(args.indexOf("--") + 1);
fs.appendFileSync(${JSON.stringify(runs)}, specs.join(" ") + "\\n");
setTimeout(() => {
  if (specs.some((s) => s.startsWith("offline-"))) {
    console.error("npm error code ENOTFOUND");
    console.error("npm error syscall getaddrinfo");
    console.error("npm error network request to https://registry.npmjs.org/offline-pkg failed, reason: getaddrinfo ENOTFOUND registry.npmjs.org");
    process.exit(1);
  }
  for (const spec of specs) {
    const name = spec.replace(/(.)@.*$/, "$1");
    fs.mkdirSync(path.join(prefix, "node_modules", name), { recursive: true });
    fs.writeFileSync(path.join(prefix, "node_modules", name, "index.js"), "module.exports = " + JSON.stringify(spec));
  }
  console.log("added " + specs.length + " packages");
}, 300);
`;

before(() => {
  writeFileSync(join(bin, "npm"), FAKE_NPM);
  chmodSync(join(bin, "npm"), 0o755);
  process.env.PATH = `${bin}${delimiter}${saved.PATH}`;
  process.env.VALENCE_CACHE_DIR = temporaryDir("valence-cache-");
});
after(() => {
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

const npmRuns = (): string[] => (existsSync(runs) ? readFileSync(runs, "utf8").trim().split("\n") : []);

test("the cache directory: VALENCE_CACHE_DIR, else XDG_CACHE_HOME/valence, else ~/.cache/valence", () => {
  assert.equal(cacheDirectory({ VALENCE_CACHE_DIR: "/tmp/v", XDG_CACHE_HOME: "/x" }), "/tmp/v");
  assert.equal(cacheDirectory({ XDG_CACHE_HOME: "/x" }), "/x/valence");
  assert.equal(cacheDirectory({ XDG_CACHE_HOME: "relative" }), join(homedir(), ".cache", "valence"));
  assert.equal(cacheDirectory({}), join(homedir(), ".cache", "valence"));
});

test("an environment is keyed by its set of specs: order and repeats do not matter", () => {
  const env = { VALENCE_CACHE_DIR: "/c" };
  const dir = npmEnvironmentDir(["b@1", "a@2"], env);
  assert.equal(npmEnvironmentDir(["a@2", "b@1", "a@2"], env), dir);
  assert.notEqual(npmEnvironmentDir(["a@2"], env), dir);
  assert.match(dir, /^\/c\/npm\/[0-9a-f]{24}$/);
  assert.throws(() => npmEnvironmentDir(["--registry=http://evil"], env), /starts with "-"/);
});

test("concurrent processes and tasks install a set once; later ones reuse it without npm", async () => {
  const specs = ["shared-pkg@1.0.0"];
  const child = (): Promise<string> =>
    new Promise((resolve, reject) => {
      const code =
        `require(${JSON.stringify(MODULE)}).npmEnvironment(${JSON.stringify(specs)})` +
        `.then((m) => console.log(m.require("shared-pkg")), (e) => { console.error(e.message); process.exit(1); });`;
      const process_ = spawn(process.execPath, ["-e", code], { stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      let err = "";
      process_.stdout.on("data", (c: Buffer) => (out += c.toString()));
      process_.stderr.on("data", (c: Buffer) => (err += c.toString()));
      process_.on("close", (status) => (status === 0 ? resolve(out.trim()) : reject(new Error(err))));
    });
  const before = npmInstallCount();
  const [here, again, ...others] = await Promise.all([
    npmEnvironment(specs),
    npmEnvironment(specs),
    child(),
    child(),
    child(),
  ]);
  assert.equal(here, again, "tasks of one thread share one environment");
  assert.deepEqual(others, ["shared-pkg@1.0.0", "shared-pkg@1.0.0", "shared-pkg@1.0.0"]);
  assert.equal(here.require("shared-pkg"), "shared-pkg@1.0.0");
  assert.deepEqual(
    npmRuns().filter((line) => line === "shared-pkg@1.0.0"),
    ["shared-pkg@1.0.0"],
    "npm ran once",
  );
  const dir = npmEnvironmentDir(specs);
  const marker = statSync(join(dir, ".valence-ready")).mtimeMs;
  assert.equal(await child(), "shared-pkg@1.0.0");
  await npmEnvironment([...specs, ...specs]);
  assert.equal(npmRuns().length, 1, "a ready environment runs no npm");
  assert.equal(statSync(join(dir, ".valence-ready")).mtimeMs, marker);
  assert.ok(npmInstallCount() - before <= 1);
});

test("a half-finished environment (no ready marker) is installed again from scratch", async () => {
  const specs = ["half-pkg@2.0.0"];
  const dir = npmEnvironmentDir(specs);
  mkdirSync(join(dir, "node_modules", "half-pkg"), { recursive: true });
  writeFileSync(join(dir, "node_modules", "leftover.txt"), "from a crashed install");
  const modules = await npmEnvironment(specs);
  assert.equal(modules.require("half-pkg"), "half-pkg@2.0.0");
  assert.ok(!existsSync(join(dir, "node_modules", "leftover.txt")));
  assert.ok(existsSync(join(dir, ".valence-ready")));
});

test("a lock left by a dead installer is broken, and the install goes ahead", async () => {
  const specs = ["orphan-pkg@1.0.0"];
  const lock = `${npmEnvironmentDir(specs)}.lock`;
  mkdirSync(lock, { recursive: true });
  // A pid that is not running on this host.
  writeFileSync(join(lock, "owner.json"), JSON.stringify({ pid: 2 ** 22 + 17, host: hostname(), token: "old" }));
  const modules = await npmEnvironment(specs);
  assert.equal(modules.require("orphan-pkg"), "orphan-pkg@1.0.0");
  assert.ok(!existsSync(lock), "the lock is gone once the install is done");
});

test("npm failing gives the specs, npm's last lines and a hint; the next attempt runs npm again", async () => {
  const specs = ["offline-pkg@1.0.0", "ok-pkg@1"];
  const runsBefore = npmRuns().length;
  const failed = await npmEnvironment(specs).then(
    () => assert.fail("the install should fail"),
    (error: Error) => error,
  );
  assert.equal(failed.name, "NpmInstallError");
  assert.match(failed.message, /deps\.npm: offline-pkg@1\.0\.0, ok-pkg@1\): npm exited with code 1/);
  assert.match(failed.message, /code ENOTFOUND/);
  assert.match(failed.message, /Hint: the npm registry is not reachable .*offline\?/);
  assert.ok(!existsSync(join(npmEnvironmentDir(specs), ".valence-ready")));
  await assert.rejects(npmEnvironment(specs), /ENOTFOUND/);
  assert.equal(npmRuns().length, runsBefore + 2, "each attempt tries the install again");
});

test("no npm on the PATH is a clear error, not a crash", async () => {
  process.env.PATH = temporaryDir("valence-empty-path-");
  try {
    await assert.rejects(npmEnvironment(["lonely-pkg@1.0.0"]), /npm was not found on the PATH/);
  } finally {
    process.env.PATH = `${bin}${delimiter}${saved.PATH}`;
  }
});

test("npm's output is reduced to its error lines; hints tell a missing package from a network failure", () => {
  const output = [
    "npm warn Unknown user config",
    "npm error code ECONNREFUSED",
    "npm error FetchError: request to http://127.0.0.1:9/x failed, reason: connect ECONNREFUSED",
    "npm error     at ClientRequest.<anonymous> (/usr/lib/node_modules/npm/index.js:1:1)",
    "npm error     at ClientRequest.emit (node:events:524:28) {",
    "npm error   code: 'ECONNREFUSED',",
    "npm error }",
    "npm error",
    "npm error If you are behind a proxy, please make sure that the 'proxy' config is set properly.",
  ].join("\n");
  assert.deepEqual(errorLines(output), [
    "code ECONNREFUSED",
    "FetchError: request to http://127.0.0.1:9/x failed, reason: connect ECONNREFUSED",
    "If you are behind a proxy, please make sure that the 'proxy' config is set properly.",
  ]);
  assert.match(hintFor(output), /not reachable/);
  assert.match(hintFor("npm error code E404\nnpm error 404 Not Found - GET https://r/x"), /does not exist/);
  assert.match(hintFor("npm error code ETARGET"), /does not exist/);
});
