// Chains of dependent electrons go to the local executor as chains (one worker message for many
// steps, each step taking the previous output inside the worker), and behave exactly as steps sent
// one at a time: results, retries, failures, timeouts, cancel and reuse.
import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as ct from "valence-workflows";
import { eventually, temporaryDir, useDispatcher } from "../support/dispatcher.ts";

/** The local executor, noting which nodes arrived as follow-ups and how many chains it was given. */
class WatchedLocal extends ct.LocalExecutor {
  readonly followed = new Set<number>();
  chains = 0;

  override submitChain(
    task: ct.TaskSpec,
    signal: AbortSignal,
    options: ct.SubmitOptions | undefined,
    followUps: readonly ct.FollowUp[],
  ): Array<Promise<ct.TaskOutcome>> {
    if (followUps.length) this.chains++;
    for (const followUp of followUps) this.followed.add(followUp.task.nodeId);
    return super.submitChain(task, signal, options, followUps);
  }
}

const local = new WatchedLocal({ maxWorkers: 2 });
useDispatcher({ executors: { local } });

const step = ct.electron(function step(x: number) {
  return x + 1;
});

test("a chain of 200 steps reaches the executor as a few chains and gives the same result; reuse still finds every step", async () => {
  const chain = ct.lattice(function chain(n: number) {
    let x = step(0);
    for (let i = 1; i < n; i++) x = step(x);
    return x;
  });
  const before = local.chains;
  const result = await ct.dispatchSync(chain)(200);
  assert.equal(result.status, "COMPLETED", String(result));
  assert.equal(result.result, 200);
  const chains = local.chains - before;
  assert.ok(chains >= 1 && chains <= 10, `200 steps went as ${chains} chains`);
  const steps = result.nodes.filter((n) => n.status === "COMPLETED" && n.attempts === 1);
  assert.equal(steps.length, 200, "every step ran once");
  assert.ok(steps.every((n) => n.startedAt! <= n.endedAt!));

  // Each step's content key was stored as it completed: a redispatch reuses every one.
  const again = await ct.getResult(await ct.redispatch(result.dispatchId, { reusePreviousResults: true })(), {
    wait: true,
  });
  assert.equal(again.result, 200);
  assert.equal(again.nodes.filter((n) => n.reused).length, 200);
});

test("a step of a chain that fails is retried on its own and the chain goes on", async () => {
  const dir = temporaryDir();
  const flaky = ct.electron(
    function flaky(counter: string, x: number) {
      appendFileSync(counter, "x");
      if (readFileSync(counter, "utf8").length < 2) throw new Error("first try fails");
      return x * 10;
    },
    { retries: 2 },
  );
  const wf = ct.lattice(function retried(counter: string) {
    return step(step(flaky(counter, step(step(0)))));
  });
  const result = await ct.dispatchSync(wf)(join(dir, "count"));
  assert.equal(result.status, "COMPLETED", String(result));
  assert.equal(result.result, 22);
  const flakyNode = result.nodes.find((n) => n.attempts === 2);
  assert.ok(flakyNode, "one node took two attempts");
  assert.ok(local.followed.has(flakyNode.id), "the flaky step's first attempt went as a follow-up");
  assert.equal(result.nodes.filter((n) => n.attempts > 1).length, 1, "only the failed step ran again");
});

test("when a step fails for good, the steps after it never run: they are cancelled with no attempt", async () => {
  const dir = temporaryDir();
  const boom = ct.electron(function boom(x: number): number {
    throw new Error(`no ${x}`);
  });
  const mark = ct.electron(function mark(file: string, x: number) {
    appendFileSync(file, "ran");
    return x;
  });
  const file = join(dir, "ran");
  const wf = ct.lattice(function broken(file: string) {
    return mark(file, mark(file, boom(step(0))));
  });
  const result = await ct.dispatchSync(wf)(file);
  assert.equal(result.status, "FAILED");
  assert.match(result.error!.message, /electron "boom" \(node \d+\) failed: no 1/);
  const tasks = result.nodes.filter((n) => n.status !== "COMPLETED" || n.attempts > 0);
  const statuses = tasks.filter((n) => n.status !== "COMPLETED").map((n) => [n.status, n.attempts]);
  assert.deepEqual(statuses, [
    ["FAILED", 1],
    ["CANCELLED", 0],
    ["CANCELLED", 0],
  ]);
  assert.equal(existsSync(file), false, "no step after the failure ran");
});

test("a follow-up's timeout counts from its own start, not from the chain's", async () => {
  const pause = ct.electron(async function pause(ms: number) {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return ms;
  });
  const quick = ct.electron(
    async function quick(x: number) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return x + 1;
    },
    { timeoutMs: 250 },
  );
  const stuck = ct.electron(
    async function stuck(x: number) {
      await new Promise((resolve) => setTimeout(resolve, 5_000));
      return x;
    },
    { timeoutMs: 200 },
  );
  const wf = ct.lattice(function timed() {
    return stuck(quick(pause(400)));
  });
  const started = Date.now();
  const result = await ct.dispatchSync(wf)();
  assert.equal(result.status, "FAILED");
  assert.match(result.error!.message, /electron "stuck" \(node \d+\) failed: .*timed out after 200 ms/);
  assert.deepEqual(
    result.nodes.filter((n) => n.attempts > 0).map((n) => n.status),
    ["COMPLETED", "COMPLETED", "FAILED"],
  );
  assert.ok(Date.now() - started < 4_000, "the stuck step was stopped at its timeout");
});

test("cancelling a step in the middle of a running chain cancels it and what follows; earlier steps finish", async () => {
  const slow = ct.electron(async function slow(x: number) {
    await new Promise((resolve) => setTimeout(resolve, 150));
    return x + 1;
  });
  const wf = ct.lattice(function slowChain() {
    let x = slow(0);
    for (let i = 1; i < 5; i++) x = slow(x);
    return x;
  });
  const dispatch = await ct.dispatch(wf)();
  const first = await ct.getResult(dispatch);
  const ids = first.nodes.filter((n) => n.status !== "COMPLETED" || n.attempts > 0).map((n) => n.id);
  const electrons = ids.slice(-5);
  await eventually(async () => {
    const now = await ct.getResult(dispatch);
    return now.nodes.find((n) => n.id === electrons[1])?.status === "RUNNING" ? true : undefined;
  });
  await ct.cancel(dispatch, [electrons[3]!]);
  const result = await ct.getResult(dispatch, { wait: true });
  assert.equal(result.status, "CANCELLED");
  assert.deepEqual(
    electrons.map((id) => result.nodes.find((n) => n.id === id)!.status),
    ["COMPLETED", "COMPLETED", "COMPLETED", "CANCELLED", "CANCELLED"],
  );
});
