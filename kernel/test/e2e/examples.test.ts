import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../../../", import.meta.url));

function resultOf(stdout: string): number[] {
  const line = stdout.split("\n").find((l) => l.startsWith("result: "));
  assert.ok(line, `no result line in:\n${stdout}`);
  return JSON.parse(line.slice("result: ".length)) as number[];
}

function assertSeedResult(values: number[]): void {
  assert.equal(values.length, 10);
  for (const value of values) assert.ok(Number.isInteger(value) && value >= 1 && value <= 102);
}

test("the seed example runs as a plain script with npx tsx", async () => {
  const { stdout } = await run("npx", ["tsx", "examples/seed.ts"], { cwd: root });
  assert.match(stdout, /Lattice "dataProcessing": 20 tasks \(prepareData ×10, processData ×10\)/);
  assertSeedResult(resultOf(stdout));
});

test("the seed example runs with valence run, which draws a progress bar", async () => {
  const { stdout, stderr } = await run(process.execPath, ["kernel/dist/cli/main.js", "run", "examples/seed.ts"], {
    cwd: root,
  });
  assertSeedResult(resultOf(stdout));
  assert.match(stderr, /dataProcessing: 20\/20 tasks done, 0 failed/);
});

test("the dispatch example sends the workflow to a dispatcher it starts, with a progress line", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "valence-example-"));
  const env: NodeJS.ProcessEnv = { ...process.env, VALENCE_DATA_DIR: dataDir };
  delete env.VALENCE_DISPATCHER_URL;
  try {
    const { stdout, stderr } = await run(process.execPath, ["kernel/dist/cli/main.js", "run", "examples/dispatch.ts"], {
      cwd: root,
      env,
    });
    assert.match(stdout, /Dispatch [0-9a-f-]{36} of "dataProcessing": COMPLETED in \d+ ms \(20 completed\)/);
    assertSeedResult(resultOf(stdout));
    assert.match(stderr, /dataProcessing: 20\/20 tasks done, 0 failed/);
  } finally {
    await run(process.execPath, ["kernel/dist/cli/main.js", "stop", "--data-dir", dataDir], { cwd: root });
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("valence run reports a failing workflow with the electron's own error and exits non-zero", async () => {
  const failing = fileURLToPath(new URL("../fixtures/failing-flow.ts", import.meta.url));
  await assert.rejects(
    run(process.execPath, ["kernel/dist/cli/main.js", "run", failing], { cwd: root }),
    (error: { code: number; stderr: string }) => {
      assert.equal(error.code, 1);
      assert.match(
        error.stderr,
        /valence: lattice "failing" failed: electron "explode" \(node 1\) failed: no such table/,
      );
      assert.match(error.stderr, /caused by: Error: no such table\n\s+at explode \(.*failing-flow\.ts/);
      return true;
    },
  );
});
