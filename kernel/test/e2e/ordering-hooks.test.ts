import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as ct from "valence-workflows";
import { temporaryDir, useDispatcher } from "../support/dispatcher.ts";

useDispatcher();

const record = ct.electron(async function record(log: string, label: string, delayMs: number) {
  await new Promise((r) => setTimeout(r, delayMs));
  appendFileSync(log, `${label}\n`);
  return label;
});

test("wait(child, parents) makes the dispatcher start the child only after its parents finished", async () => {
  const log = join(temporaryDir(), "order.log");
  const wf = ct.lattice(function ordered(file: string) {
    const slowSetup = record(file, "setup", 300);
    const otherSetup = record(file, "other", 100);
    return ct.wait(record(file, "load", 0), [slowSetup, otherSetup]);
  });
  const result = await ct.dispatchSync(wf)(log);
  assert.equal(result.status, "COMPLETED");
  assert.deepEqual(readFileSync(log, "utf8").trim().split("\n"), ["other", "setup", "load"]);
});

test("callBefore and callAfter hooks run on the worker around the electron", async () => {
  const log = join(temporaryDir(), "hooks.log");
  const hooked = ct.electron(
    function hooked(file: string) {
      appendFileSync(file, "task\n");
      return "done";
    },
    {
      callBefore: function announce() {
        appendFileSync(log, "before\n");
      },
      callAfter: [
        function tidy() {
          appendFileSync(log, "after\n");
        },
      ],
    },
  );
  const result = await ct.dispatchSync(ct.lattice((file: string) => hooked(file), { name: "hooks" }))(log);
  assert.equal(result.result, "done");
  assert.deepEqual(readFileSync(log, "utf8").trim().split("\n"), ["before", "task", "after"]);
});

for (const [what, resources, message] of [
  ["more CPUs", { cpus: 100_000 }, /needs 100000 CPUs but executor "local" has \d+/],
  ["more memory", { memoryMB: 10_000_000 }, /needs 10000000 MB but executor "local" has \d+ MB/],
  ["a GPU", { gpus: 1 }, /needs 1 GPU\(s\) but executor "local" has 0/],
] as const) {
  test(`a task asking for ${what} than the machine has is refused at dispatch, naming the electron`, async () => {
    const greedy = ct.electron(function greedy() {}, { resources });
    await assert.rejects(ct.dispatch(ct.lattice(() => greedy(), { name: "greedy" }))(), message);
  });
}
