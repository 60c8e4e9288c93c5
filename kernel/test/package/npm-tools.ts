// The package test's tools (package.test.ts): the repository's paths and the kernel's manifest, npm
// run without the settings of an `npm test` that started us, this machine's npm major and the other
// one's CLI (npm-majors/), a niced background install, and the check that the native modules load.
import assert from "node:assert/strict";
import { spawn, spawnSync, type SpawnSyncReturns } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

export const root = join(import.meta.dirname, "..", "..", "..");
export const kernel = join(root, "kernel");
export const manifest = JSON.parse(readFileSync(join(kernel, "package.json"), "utf8")) as {
  name: string;
  version: string;
  bin: Record<string, string>;
  engines: { node: string };
};

/** This process's environment without the npm_* settings of an `npm test` that may have started us. */
export function withoutNpmSettings(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("npm_")));
}

/**
 * better-sqlite3's prebuilt binary for this machine, where prebuild-install (its install script,
 * `prebuild-install || node-gyp rebuild`) looks when `npm_config_better_sqlite3_binary_host` names a
 * host: a server on 127.0.0.1, in a process of its own (npm runs synchronously here), serving a
 * tarball made from the workspace's own build. An offline install then fetches the binary as a
 * user's install fetches it from GitHub, instead of compiling it with node-gyp (a minute of one core,
 * for each of the two installs), and never reaches GitHub.
 */
export async function prebuiltMirror(dir: string): Promise<{ env: NodeJS.ProcessEnv; stop: () => void }> {
  const source = dirname(createRequire(join(root, "package.json")).resolve("better-sqlite3/package.json"));
  const { version } = JSON.parse(readFileSync(join(source, "package.json"), "utf8")) as { version: string };
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  mkdirSync(join(dir, `v${version}`), { recursive: true });
  const packed = spawnSync("tar", [
    "-czf",
    join(dir, `v${version}`, name),
    "-C",
    source,
    "build/Release/better_sqlite3.node",
  ]);
  assert.equal(packed.status, 0, String(packed.stderr));
  const server = spawn(
    process.execPath,
    [
      "-e",
      `const { createReadStream, existsSync } = require("node:fs");
      const { join, normalize } = require("node:path");
      const server = require("node:http").createServer((request, response) => {
        const file = join(${JSON.stringify(dir)}, normalize(decodeURIComponent(request.url.split("?")[0])));
        if (!file.startsWith(${JSON.stringify(dir)}) || !existsSync(file)) return response.writeHead(404).end();
        response.writeHead(200, { "content-type": "application/gzip" });
        createReadStream(file).pipe(response);
      });
      server.listen(0, "127.0.0.1", () => console.log(server.address().port));`,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const port = await new Promise<string>((resolve, reject) => {
    server.stdout!.once("data", (chunk: Buffer) => resolve(chunk.toString().trim()));
    server.once("exit", (code) => reject(new Error(`the prebuilt mirror exited (${code})`)));
  });
  return {
    env: { npm_config_better_sqlite3_binary_host: `http://127.0.0.1:${port}` },
    stop: () => void server.kill(),
  };
}

/** npm with none of the npm_config_* settings of an `npm test` that may have started us. */
export function npm(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return spawnSync("npm", args, { cwd, encoding: "utf8", env: { ...withoutNpmSettings(), ...env }, timeout: 600_000 });
}

/** This machine's npm major, and the CLI of the other one (npm-majors/, installed by scripts/test.mjs). */
export const npmMajor = Number(npm(["--version"], root).stdout.split(".")[0]);
export const otherMajor = npmMajor === 10 ? 11 : 10; // npm 12 or later here: that and npm 10, not 11
export const otherNpm = join(
  import.meta.dirname,
  "npm-majors",
  "node_modules",
  `npm${otherMajor}`,
  "bin",
  "npm-cli.js",
);

/**
 * Runs `node <script> …args` in the background at a lower priority (nice 10, which its children
 * inherit), its output into `log`; `done` gives its exit status and when it ended.
 */
export function runInBackground(script: string, args: string[], cwd: string, log: string, env: NodeJS.ProcessEnv) {
  const output = openSync(log, "w");
  const child = spawn("nice", ["-n", "10", process.execPath, script, ...args], {
    cwd,
    env,
    stdio: ["ignore", output, output],
  });
  closeSync(output);
  const timer = setTimeout(() => child.kill("SIGKILL"), 600_000);
  const done = new Promise<{ status: number | null; ended: number }>((resolve) =>
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, ended: Date.now() });
    }),
  );
  return { child, done };
}

/** better-sqlite3 (built by its install script) and zeromq (its prebuilt binary) load in `folder`. */
export function assertNativesLoad(folder: string): void {
  const natives = spawnSync(
    process.execPath,
    ["-e", 'new (require("better-sqlite3"))(":memory:").close(); require("zeromq"); console.log("ok")'],
    { cwd: folder, encoding: "utf8" },
  );
  assert.equal(natives.stdout.trim(), "ok", natives.stderr);
}

/** An empty folder that depends on the tarball (its path), with the lockfile that lets npm install it offline. */
export function projectFor(folder: string, tarball: string): void {
  const spec = `file:${tarball}`;
  mkdirSync(folder);
  writeFileSync(
    join(folder, "package.json"),
    JSON.stringify({ name: "try-valence", private: true, dependencies: { [manifest.name]: spec } }, null, 2),
  );
  writeFileSync(join(folder, "package-lock.json"), JSON.stringify(lockfileFor(spec), null, 2));
}

/** A lockfile for `{ name: "file:<tarball>" }` from the workspace's: the package and its production tree. */
function lockfileFor(spec: string): object {
  const workspace = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8")) as {
    packages: Record<string, { dev?: boolean; link?: boolean; devDependencies?: object }>;
  };
  const packages: Record<string, object> = {};
  for (const [path, entry] of Object.entries(workspace.packages)) {
    if (!path || entry.dev || entry.link || path === "schema" || path.startsWith("schema/")) continue;
    if (path === "kernel") {
      const { devDependencies: _dev, ...production } = entry;
      packages[`node_modules/${manifest.name}`] = { ...production, resolved: spec };
    } else if (path.startsWith("kernel/")) packages[`node_modules/${manifest.name}/${path.slice(7)}`] = entry;
    else packages[path] = entry;
  }
  const dependencies = { [manifest.name]: spec };
  return { name: "try-valence", lockfileVersion: 3, requires: true, packages: { "": { dependencies }, ...packages } };
}

/**
 * The environment of a user of the installed package: none of the workspace's VALENCE_* settings, and
 * their own dispatcher data, config and cache directories (under `home`). (HOME stays: npm's cache and config, are this
 * machine's.)
 */
export function userEnv(home: string): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith("npm_") && !name.startsWith("VALENCE_")),
  );
  return {
    ...clean,
    XDG_CONFIG_HOME: join(home, ".config"),
    XDG_CACHE_HOME: join(home, ".cache"),
    XDG_DATA_HOME: join(home, ".local", "share"),
    PYDEVD_DISABLE_FILE_VALIDATION: "1",
  };
}
