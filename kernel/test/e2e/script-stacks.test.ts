// A script's electron that fails in the dispatcher reports its stack at the lines and columns of the
// user's TypeScript file, as a notebook cell's does: in a worker thread, inline, and with `.run()`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import * as ct from "valence-workflows";
import { useDispatcher } from "../support/dispatcher.ts";
import { check, checks, checksInline, strict } from "../fixtures/failing-script.ts";
import { cliMain as cli } from "../support/built.ts";

const dispatcher = useDispatcher();
const fixture = fileURLToPath(new URL("../fixtures/failing-script.ts", import.meta.url));

// Where failing-script.ts throws (in `validate`) and where `check` calls it: line:column, 1-based.
const THROW = "fixtures/failing-script.ts:12:29";
const CALL = "fixtures/failing-script.ts:17:27";
// Where `strict`, on a line the loader added text to, calls it.
const SHIFTED_CALL = "fixtures/failing-script.ts:22:58";

function assertPointsToScript(stack: string | undefined): void {
  assert.ok(stack, "the failed node has a stack");
  const frames = stack.split("\n").slice(1);
  assert.match(frames[0]!, new RegExp(`^\\s+at validate \\(.*${THROW}\\)$`), stack);
  assert.match(frames[1]!, new RegExp(`^\\s+at check \\(.*${CALL}\\)$`), stack);
  assert.doesNotMatch(stack, /rebuild\.js|eval at|<anonymous>|#v[0-9a-f]{12}/, stack);
}

for (const [executor, lattice] of [
  ["local", checks],
  ["inline", checksInline],
] as const) {
  test(`a script's electron failing on the ${executor} executor reports its stack at the script's own lines`, async () => {
    const result = await ct.dispatchSync(lattice)(5);
    assert.equal(result.status, "FAILED");
    const node = await result.getNodeResult(1);
    assert.equal(node.error!.message, "input 5 is over 3");
    assertPointsToScript(node.error!.stack);
  });
}

test("run with `valence run flow.ts`, a failed electron's stored stack names the file and the line of the throw", async () => {
  // Asynchronously: the dispatcher runs in this process.
  const run = await promisify(execFile)(process.execPath, [cli, "run", fixture], {
    env: {
      ...process.env,
      VALENCE_DISPATCHER_URL: dispatcher.current().url,
      VALENCE_DISPATCHER_TOKEN: dispatcher.current().token,
    },
    encoding: "utf8",
    timeout: 60_000,
  });
  const line = run.stdout.split("\n").find((l) => l.startsWith("RESULT "));
  assert.ok(line, run.stdout + run.stderr);
  const { status, stack } = JSON.parse(line.slice("RESULT ".length)) as { status: string; stack?: string };
  assert.equal(status, "FAILED");
  assertPointsToScript(stack);
});

test("`.run()` in the script's own process fails with frames at the same lines and columns", async () => {
  const error = await (async () => check.run(5))().then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  assert.ok(error instanceof RangeError);
  const frames = error.stack!.split("\n").slice(1);
  assert.match(frames[0]!, new RegExp(`at validate \\(.*${THROW}\\)$`), error.stack);
  assert.match(frames[1]!, new RegExp(`at (?:Object\\.)?check \\(.*${CALL}\\)$`), error.stack);
  // Columns stay right on a line the loader added text to, here and where the electron is rebuilt.
  const shifted = await (async () => strict.run(5))().then(
    () => assert.fail("strict.run(5) should throw"),
    (e: unknown) => e as Error,
  );
  assert.match(shifted.stack!.split("\n")[2]!, new RegExp(`${SHIFTED_CALL}\\)$`), shifted.stack);
  const result = await ct.dispatchSync(ct.lattice((n: number) => strict(n), { name: "strictly" }))(5);
  const node = await result.getNodeResult(1);
  assert.match(node.error!.stack!.split("\n")[2]!, new RegExp(`${SHIFTED_CALL}\\)$`), node.error!.stack);
});
