// `deps: { npm: [...] }` through a real dispatcher and the machine's real npm, offline: the packages
// come from npm's cache (scripts/test.mjs puts them there before the tests), and the registries that
// fail are on 127.0.0.1. The task's code gets the packages on every executor, an environment is
// installed once per set of specs and reused, and npm failing fails the task with a message a user can act on.
/* eslint-disable @typescript-eslint/no-require-imports -- `require` inside electrons is what is tested */
import { test } from "node:test";
import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import * as ct from "valence-workflows";
import { temporaryDir, useDispatcher } from "../support/dispatcher.ts";
import { npmEnvironmentDir } from "#src/executors/npm-env.js";

// Before the dispatcher starts: its worker threads take a copy of the environment.
process.env.VALENCE_CACHE_DIR = temporaryDir("valence-cache-");
process.env.npm_config_offline = "true";
useDispatcher();

const IS_NUMBER = "is-number@7.0.0";
const INSTALLING = /valence: preparing npm packages/g;

async function nodeLogs(result: ct.Result): Promise<string[]> {
  const logs: string[] = [];
  for (const node of result.nodes) logs.push((await result.getNodeResult(node.id)).logs.map((l) => l.text).join(""));
  return logs;
}

const installs = (logs: readonly string[]): number => logs.join("").match(INSTALLING)?.length ?? 0;

for (const executor of ["inline", "local"]) {
  test(`${executor}: an electron with deps.npm gets its packages, by require and by import()`, async () => {
    const deps = { npm: [IS_NUMBER] };
    const byRequire = ct.electron(
      function byRequire(x: unknown) {
        const isNumber = require("is-number") as (value: unknown) => boolean;
        return isNumber(x);
      },
      { executor, deps },
    );
    const byImport = ct.electron(
      async function byImport(x: unknown) {
        // @ts-expect-error -- installed where the task runs, not here
        const { default: isNumber } = (await import("is-number")) as { default: (value: unknown) => boolean };
        return isNumber(x);
      },
      { executor, deps },
    );
    const withoutDeps = ct.electron(
      function withoutDeps() {
        return (require("node:path") as typeof import("node:path")).basename("a/b.txt");
      },
      { executor },
    );
    const flow = ct.lattice(() => [byRequire(5), byImport("five"), withoutDeps()], { name: `deps-${executor}` });
    const result = await ct.dispatchSync(flow)();
    assert.equal(result.status, "COMPLETED", String(result.error?.message));
    assert.deepEqual(result.result, [true, false, "b.txt"]);
  });
}

test("a later dispatch (any executor, any order of the specs) reuses the environment without npm", async () => {
  const ready = join(npmEnvironmentDir([IS_NUMBER]), ".valence-ready");
  const installedAt = statSync(ready).mtimeMs;
  for (const executor of ["inline", "local"]) {
    const check = ct.electron(
      function check(x: unknown) {
        return (require("is-number") as (value: unknown) => boolean)(x);
      },
      { executor, deps: { npm: [IS_NUMBER, IS_NUMBER] } },
    );
    const result = await ct.dispatchSync(ct.lattice(() => check(1), { name: `reuse-${executor}` }))();
    assert.equal(result.result, true, String(result.error?.message));
    assert.equal(installs(await nodeLogs(result)), 0, "npm did not run");
  }
  assert.equal(statSync(ready).mtimeMs, installedAt, "the environment was not installed again");
});

test("tasks running at once on several workers install a new set once", async () => {
  const deps = { npm: ["is-odd@3.0.1", IS_NUMBER] };
  const odd = ct.electron(
    function odd(n: number) {
      return (require("is-odd") as (value: number) => boolean)(n);
    },
    { deps },
  );
  const flow = ct.lattice(() => [odd(1), odd(2), odd(3), odd(4)], { name: "concurrent-deps" });
  const result = await ct.dispatchSync(flow)();
  assert.deepEqual(result.result, [true, false, true, false], String(result.error?.message));
  assert.equal(installs(await nodeLogs(result)), 1);
});

/** Runs `body` with npm pointed at `registry` and online (inline tasks run npm with this process's environment). */
async function withRegistry<T>(registry: string, body: () => Promise<T>): Promise<T> {
  const keys = ["npm_config_registry", "npm_config_fetch_retries", "npm_config_offline"] as const;
  const saved = keys.map((key) => process.env[key]);
  process.env.npm_config_registry = registry;
  process.env.npm_config_fetch_retries = "0";
  delete process.env.npm_config_offline;
  try {
    return await body();
  } finally {
    keys.forEach((key, i) => {
      if (saved[i] === undefined) delete process.env[key];
      else process.env[key] = saved[i];
    });
  }
}

test("a package that does not exist fails the task with npm's error and a hint; a retry tries again", async () => {
  // A registry on loopback that knows no package, as the real one answers for a name nobody published.
  const registry: Server = createServer((_req, res) => {
    res.writeHead(404, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: "Not found" }));
  });
  await new Promise<void>((resolve) => registry.listen(0, "127.0.0.1", resolve));
  const { port } = registry.address() as { port: number };
  const missing = ct.electron(function missing() {}, {
    executor: "inline",
    deps: { npm: ["valence-no-such-package-7f3a2c"] },
    retries: 1,
  });
  const result = await withRegistry(`http://127.0.0.1:${port}/`, () =>
    ct.dispatchSync(ct.lattice(() => missing(), { name: "missing-deps" }))(),
  ).finally(() => registry.close());
  assert.equal(result.status, "FAILED");
  const node = await result.getNodeResult(0);
  assert.equal(node.attempts, 2);
  assert.equal(node.error?.name, "NpmInstallError");
  assert.match(node.error!.message, /could not install the electron's npm dependencies \(deps\.npm: valence-no-such/);
  assert.match(node.error!.message, /E404/);
  assert.match(node.error!.message, /Hint: a package or version in deps\.npm does not exist/);
  assert.equal(installs([node.logs.map((l) => l.text).join("")]), 2, "each attempt runs npm");
});

test("an unreachable registry fails the task with a hint that the machine may be offline", async () => {
  const result = await withRegistry("http://127.0.0.1:9/", () => {
    const offline = ct.electron(function offline() {}, {
      executor: "inline",
      deps: { npm: ["valence-unreachable-probe@1.0.0"] },
    });
    return ct.dispatchSync(ct.lattice(() => offline(), { name: "offline-deps" }))();
  });
  assert.equal(result.status, "FAILED");
  const { error } = await result.getNodeResult(0);
  assert.match(error!.message, /deps\.npm: valence-unreachable-probe@1\.0\.0\): npm exited with code 1/);
  assert.match(error!.message, /ECONNREFUSED/);
  assert.match(error!.message, /Hint: the npm registry is not reachable .*\(offline\?/);
});

test("a spec npm would read as an option is refused when the electron is defined", () => {
  assert.throws(
    () => ct.electron(function f() {}, { deps: { npm: ["--registry=http://example.com"] } }),
    /electron "f": options\.deps\.npm\[0\]: "--registry=http:\/\/example\.com" is not an npm package spec/,
  );
  assert.throws(() => ct.electron(function f() {}, { deps: { npm: [""] } }), /cannot be empty/);
});
