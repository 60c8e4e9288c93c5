import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as ct from "valence-workflows";
import { dataProcessing } from "../../../examples/seed-lattice.ts";
import { temporaryDir, useDispatcher } from "../support/dispatcher.ts";

const dispatcher = useDispatcher();

// The seed example itself, as users run it.
test("the seed example runs end to end through a running dispatcher and every node result is stored", async () => {
  const { id } = await ct.dispatch(dataProcessing)(10);
  const result = await ct.getResult<number[]>(id, { wait: true });
  assert.equal(result.status, "COMPLETED", String(result));
  assert.equal(result.result!.length, 10);
  const first = await result.getNodeResult(0);
  const second = await result.getNodeResult(1);
  assert.equal(first.name, "prepareData");
  assert.equal(second.output, (first.output as number) + 1);
  assert.equal(result.result![0], second.output);
  assert.ok(result.startTime! <= result.endTime!);
  assert.ok(result.nodes.every((n) => n.status === "COMPLETED"));
  assert.ok((await ct.listDispatches()).some((d) => d.id === id && d.status === "COMPLETED"));
});

test("a failed electron fails its dependants and the dispatch; independent branches finish and keep their results", async () => {
  const boom = ct.electron(function boom(): number {
    throw new Error("disk full");
  });
  const after = ct.electron(function after(x: number) {
    return x;
  });
  const fine = ct.electron(function fine() {
    return "ok";
  });
  const wf = ct.lattice(function partial() {
    return [after(boom()), fine()];
  });
  const result = await ct.dispatchSync(wf)();
  assert.equal(result.status, "FAILED");
  assert.match(result.error!.message, /electron "boom" \(node 0\) failed: disk full/);
  assert.deepEqual(
    result.nodes.map((n) => n.status),
    ["FAILED", "CANCELLED", "COMPLETED"],
  );
  const boomNode = await result.getNodeResult(0);
  assert.match(boomNode.error!.stack!, /^Error: disk full\n\s+at (Object\.)?boom/);
  assert.doesNotMatch(boomNode.error!.stack!, /task-runtime|worker_threads/, "Valence's own frames are trimmed");
  assert.equal((await result.getNodeResult(2)).output, "ok");
});

test("retries run the electron again in a fresh attempt until it succeeds", async () => {
  const dir = temporaryDir();
  const flaky = ct.electron(
    function flaky(counter: string) {
      appendFileSync(counter, "x");
      const attempts = readFileSync(counter, "utf8").length;
      if (attempts < 3) throw new Error(`attempt ${attempts}`);
      return attempts;
    },
    { retries: 2 },
  );
  const result = await ct.dispatchSync(ct.lattice((file: string) => flaky(file), { name: "retrying" }))(join(dir, "n"));
  assert.equal(result.status, "COMPLETED");
  assert.equal(result.result, 3);
  assert.equal(result.nodes[1]!.attempts, 3);
});

test("timeoutMs stops a task that runs too long, even a busy loop, and fails it", async () => {
  const spin = ct.electron(
    function spin() {
      for (;;) {
        /* never returns */
      }
    },
    { timeoutMs: 300 },
  );
  const started = Date.now();
  const result = await ct.dispatchSync(ct.lattice(() => spin(), { name: "spinning" }))();
  assert.equal(result.status, "FAILED");
  assert.match(result.error!.message, /"spin" \(node 0\) timed out after 300 ms/);
  assert.ok(Date.now() - started < 5000);
});

test("cancel stops queued and running work", async () => {
  const sleep = ct.electron(async function sleep(ms: number) {
    await new Promise((r) => setTimeout(r, ms));
    return ms;
  });
  const wf = ct.lattice(function slow() {
    const a = sleep(30_000);
    return [sleep(a), sleep(30_000)];
  });
  const id = await ct.dispatch(wf)();
  await new Promise((r) => setTimeout(r, 300));
  const started = Date.now();
  await ct.cancel(id);
  const result = await ct.getResult(id, { wait: true, timeoutMs: 10_000 });
  assert.equal(result.status, "CANCELLED");
  assert.ok(Date.now() - started < 5000);
  // Tasks are nodes 1, 2 and 4 (0 and 3 are the literal parameters).
  assert.deepEqual(
    [1, 2, 4].map((id) => result.nodes[id]!.status),
    ["CANCELLED", "CANCELLED", "CANCELLED"],
  );
});

test("cancelling one node cancels it and what depends on it, and the rest finishes", async () => {
  const sleep = ct.electron(async function sleep(ms: number) {
    await new Promise((r) => setTimeout(r, ms));
    return ms;
  });
  const wf = ct.lattice(function twoBranches() {
    return { slow: sleep(sleep(30_000)), quick: sleep(50) };
  });
  const id = await ct.dispatch(wf)();
  await new Promise((r) => setTimeout(r, 200));
  await ct.cancel(id, [1]);
  const result = await ct.getResult(id, { wait: true, timeoutMs: 10_000 });
  assert.equal(result.status, "CANCELLED");
  assert.equal(result.nodes[1]!.status, "CANCELLED");
  assert.equal(result.nodes[2]!.status, "CANCELLED");
  assert.equal(result.nodes[4]!.status, "COMPLETED");
});

test("redispatch rebuilds the graph from the stored lattice with new inputs, or the original ones", async () => {
  const first = await ct.dispatchSync(dataProcessing)(3);
  assert.equal(first.result!.length, 3);
  const again = await ct.getResult<number[]>(await ct.redispatch(first.dispatchId)(6), { wait: true });
  assert.equal(again.status, "COMPLETED");
  assert.equal(again.result!.length, 6);
  assert.equal(again.nodes.length, 12);
  const same = await ct.getResult<number[]>(await ct.redispatch(first.dispatchId)(), { wait: true });
  assert.equal(same.result!.length, 3);
  await assert.rejects(ct.redispatch("missing")(1), /no dispatch with id "missing"/);
});

test("two dispatches run at the same time", async () => {
  const [a, b] = await Promise.all([ct.dispatch(dataProcessing)(3), ct.dispatch(dataProcessing)(4)]);
  const [ra, rb] = await Promise.all([
    ct.getResult<number[]>(a, { wait: true }),
    ct.getResult<number[]>(b, { wait: true }),
  ]);
  assert.deepEqual([ra.status, ra.result!.length, rb.status, rb.result!.length], ["COMPLETED", 3, "COMPLETED", 4]);
});

test("a task asking for more CPUs than the dispatcher has is refused at dispatch", async () => {
  const huge = ct.electron(function huge() {}, { resources: { cpus: 10_000 } });
  await assert.rejects(
    ct.dispatch(ct.lattice(() => huge(), { name: "tooBig" }))(),
    /electron "huge" \(node 0\) needs 10000 CPUs but executor "local" has \d+/,
  );
});

test("an unknown dispatch id gets a clear error", async () => {
  await assert.rejects(ct.getResult("no-such-dispatch"), {
    name: "DispatcherError",
    message: 'no dispatch with id "no-such-dispatch"',
  });
});

test("a value that cannot travel fails the dispatch with a message naming it", async () => {
  const take = ct.electron(function take(x: unknown) {
    return x;
  });
  await assert.rejects(
    ct.dispatch(ct.lattice((f: () => void) => take(f), { name: "carriesFunction" }))(() => {}),
    /cannot be sent to the dispatcher/,
  );
  void dispatcher;
});
