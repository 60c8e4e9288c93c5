// An electron written in a notebook cell with `deps: { npm: [...] }`: the cell compiles to CommonJS
// (a dynamic import becomes `require`), the package is not installed in the kernel, and the task
// still gets it from its npm environment where it runs.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { KernelClient, outputData } from "../support/kernel-client.js";
import { temporaryDir, useDispatcher } from "../support/dispatcher.js";

// The tasks run in this process's dispatcher: its cache directory is the one that counts. npm installs
// offline, from its cache (scripts/test.mjs puts is-number there before the tests).
process.env.VALENCE_CACHE_DIR = temporaryDir("valence-cache-");
process.env.npm_config_offline = "true";
useDispatcher();
let kernel: KernelClient;

before(async () => {
  kernel = await KernelClient.start();
});
after(async () => {
  await kernel?.close();
});

test("a cell's electron with deps.npm gets its package by require and by import()", async () => {
  const cells = [
    'import * as ct from "valence-workflows";',
    "const checkRequire = ct.electron(function checkRequire(x: unknown) {\n" +
      '  const isNumber = require("is-number");\n' +
      "  return isNumber(x);\n" +
      '}, { deps: { npm: ["is-number@7.0.0"] } });',
    "const checkImport = ct.electron(async function checkImport(x: unknown) {\n" +
      "  // @ts-ignore: installed where the task runs, not in the kernel\n" +
      '  const { default: isNumber } = await import("is-number");\n' +
      "  return isNumber(x);\n" +
      '}, { deps: { npm: ["is-number@7.0.0"] }, executor: "inline" });',
    'const checks = ct.lattice(function checks() { return [checkRequire(5), checkImport("x")]; });',
  ];
  for (const cell of cells) {
    const { reply } = await kernel.execute(cell);
    assert.equal(reply.status, "ok", JSON.stringify(reply));
  }
  const result = await kernel.execute(
    "const result = await ct.dispatchSync(checks)();\n[result.status, result.result]",
  );
  assert.equal(outputData(result, "execute_result"), "[ 'COMPLETED', [ true, false ] ]", JSON.stringify(result.reply));
});
