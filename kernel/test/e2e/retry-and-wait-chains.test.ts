// What users did that broke chains on the default local executor: an electron retried after its first
// attempt failed, with another electron after it (the worker had been sent that electron's spec with
// the follow-up that did not run, and was never sent it again); and an electron whose only link to
// the one before it is `ct.wait` (it received that one's output as its first argument); and, found by
// the long differential campaign, an electron cancelled while it waited behind another on the same
// worker (it was recorded with an attempt it never made).
import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as ct from "valence-workflows";
import { temporaryDir, useDispatcher } from "../support/dispatcher.ts";

useDispatcher();

const flaky = ct.electron(
  function flaky(counter: string, x: number) {
    appendFileSync(counter, "x");
    if (readFileSync(counter, "utf8").length < 2) throw new Error("the first attempt fails");
    return x * 10;
  },
  { retries: 2 },
);
const after = ct.electron(function after(x: number) {
  return x + 1;
});
const other = ct.electron(function other() {
  return "other";
});

test("after(flaky(x)), flaky retried once, completes on the local executor", async () => {
  const counter = join(temporaryDir(), "count");
  const wf = ct.lattice(function retriedThenAfter(counter: string) {
    return after(flaky(counter, 4));
  });
  const result = await ct.dispatchSync(wf)(counter);
  assert.equal(result.status, "COMPLETED", String(result));
  assert.equal(result.result, 41);
  assert.deepEqual(
    result.nodes.filter((n) => n.attempts > 0).map((n) => n.attempts),
    [2, 1],
  );
});

test("ct.wait(other(), [flaky(x)]), flaky retried once, completes on the local executor", async () => {
  const counter = join(temporaryDir(), "count");
  const wf = ct.lattice(function retriedThenWaiting(counter: string) {
    const first = flaky(counter, 4);
    return [first, ct.wait(other(), [first])];
  });
  const result = await ct.dispatchSync(wf)(counter);
  assert.equal(result.status, "COMPLETED", String(result));
  assert.deepEqual(result.result, [40, "other"]);
});

test("an electron that only waits for the one before it gets its own arguments, not that one's output", async () => {
  const count = ct.electron(function count(items: number[], extra: string) {
    let n = 0;
    for (const item of items) n += item;
    return `${n} ${extra}`;
  });
  // count's parameters are ready before `after` is sent, so count goes with it as its follow-up.
  const wf = ct.lattice(function waitOnly() {
    const counted = count([], "items");
    return ct.wait(counted, [after(1)]);
  });
  for (let run = 0; run < 3; run++) {
    const result = await ct.dispatchSync(wf)();
    assert.equal(result.status, "COMPLETED", String(result));
    assert.equal(result.result, "0 items");
  }
});

test("an electron cancelled while it waits behind a failing one on the same worker records no attempt", async () => {
  const slowFail = ct.electron(async function slowFail(x: number): Promise<number> {
    await new Promise((r) => setTimeout(r, 400));
    throw new Error(`gave up on ${x}`);
  });
  const wf = ct.lattice(function failThenAfter(x: number) {
    return after(slowFail(x));
  });
  for (let run = 0; run < 3; run++) {
    const handle = await ct.dispatch(wf)(run);
    const graph = await handle.graph();
    const afterNode = graph.nodes.find((n) => n.name === "after")!.id;
    const failNode = graph.nodes.find((n) => n.name === "slowFail")!.id;
    await new Promise((r) => setTimeout(r, 100)); // slowFail is running, `after` sent with it
    await ct.cancel(handle, [afterNode]);
    const result = await ct.getResult(handle, { wait: true });
    const state = (id: number) => result.nodes.find((n) => n.id === id)!;
    assert.equal(result.status, "FAILED", String(result));
    assert.equal(state(failNode).attempts, 1);
    assert.equal(state(afterNode).status, "CANCELLED");
    assert.equal(state(afterNode).attempts, 0, "it never started");
  }
});
