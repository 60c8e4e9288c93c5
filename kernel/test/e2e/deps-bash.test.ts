// `deps: { bash: [...] }` through a real dispatcher: the commands run where the tasks run, once per
// machine for a list however many tasks and workers need it (and not again for the next dispatch),
// before the task's code; a command that fails fails the task with its index, exit code and stderr's
// end, and the task's retry runs the list again.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as ct from "valence-workflows";
import { temporaryDir, useDispatcher } from "../support/dispatcher.ts";

// Before the dispatcher starts: its worker threads take a copy of the environment.
process.env.VALENCE_CACHE_DIR = temporaryDir("valence-cache-");
useDispatcher();

const scratch = temporaryDir("valence-deps-bash-");
const runs = join(scratch, "runs");

const readTool = ct.electron(
  function readTool(i: number, file: string) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { readFileSync: read } = require("node:fs") as typeof import("node:fs");
    return `${i}:${read(file, "utf8").trim()}`;
  },
  { deps: { bash: [`echo run >> ${runs}`, `printf 'v1\\n' > ${join(scratch, "tool")}`] } },
);
const fanOut = ct.lattice(function fanOut(n: number, file: string) {
  const outs = [];
  for (let i = 0; i < n; i++) outs.push(readTool(i, file));
  return outs;
});

test("deps.bash runs once on this machine before the tasks that need it, and not again for the next dispatch", async () => {
  const tool = join(scratch, "tool");
  const first = await ct.dispatchSync(fanOut)(8, tool);
  assert.equal(first.status, "COMPLETED", String(first.error?.message));
  assert.deepEqual(
    first.result,
    [0, 1, 2, 3, 4, 5, 6, 7].map((i) => `${i}:v1`),
  );
  assert.equal(readFileSync(runs, "utf8"), "run\n", "once, for 8 tasks on two workers");
  const second = await ct.dispatchSync(fanOut)(3, tool);
  assert.equal(second.status, "COMPLETED");
  assert.equal(readFileSync(runs, "utf8"), "run\n", "a list done before is not run again");
});

test("a deps.bash command that fails fails the task with its index, exit code and stderr; a retry runs the list again", async () => {
  const tries = join(scratch, "tries");
  const broken = ct.electron((x: number) => x, {
    name: "broken",
    retries: 1,
    deps: { bash: [`echo try >> ${tries}`, "echo 'no such tool' >&2; exit 4"] },
  });
  const result = await ct.dispatchSync(ct.lattice((x: number) => broken(x), { name: "brokenDeps" }))(1);
  assert.equal(result.status, "FAILED");
  assert.match(
    result.error!.message,
    /deps\.bash\[1\] `echo 'no such tool' >&2; exit 4` exited with code 4; stderr ends:\nno such tool/,
  );
  assert.equal((await result.getNodeResult(1)).error?.name, "BashDepsError");
  assert.equal(readFileSync(tries, "utf8"), "try\ntry\n", "each attempt runs the list again");
  assert.equal(result.nodes.find((n) => n.id === 1)?.attempts, 2);
});

test("deps.bash entries must be commands", () => {
  assert.throws(() => ct.electron((x: number) => x, { deps: { bash: [""] } }), /deps\.bash/);
});
