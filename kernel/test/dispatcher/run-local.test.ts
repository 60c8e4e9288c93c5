import { test } from "node:test";
import assert from "node:assert/strict";
import * as ct from "valence-workflows";
import { dataProcessing, processData } from "../../../examples/seed-lattice.ts";

// The seed example itself, as users run it.
test("the seed example runs to a list of 10 numbers between 1 and 102", async () => {
  const result = await ct.runLocal(dataProcessing)(10);
  assert.equal(result.length, 10);
  for (const value of result) assert.ok(Number.isInteger(value) && value >= 1 && value <= 102, String(value));
});

test("independent electrons run concurrently", async () => {
  // Each task waits until all three have started: a sequential runner would never finish.
  let started = 0;
  let release!: () => void;
  const allStarted = new Promise<void>((resolve) => (release = resolve));
  const rendezvous = ct.electron(async function rendezvous(i: number) {
    if (++started === 3) release();
    await Promise.race([
      allStarted,
      new Promise((_, reject) => setTimeout(() => reject(new Error("ran alone")), 2000)),
    ]);
    return i;
  });
  const wf = ct.lattice(function fanOut() {
    return [rendezvous(1), rendezvous(2), rendezvous(3)];
  });
  assert.deepEqual(await ct.runLocal(wf)(), [1, 2, 3]);
});

test("collections, getitem and getattr resolve into the electron's arguments", async () => {
  const load = ct.electron(function load() {
    return { rows: [3, 4], label: "x" };
  });
  const describe = ct.electron(function describe(input: { values: number[]; label: string }, scale: number) {
    return `${input.label}:${input.values.map((v) => v * scale).join(",")}`;
  });
  const wf = ct.lattice(function shapes(scale: number) {
    const data = load();
    return {
      text: describe({ values: [data.rows[1]!, data.rows[0]!, 5], label: data.label }, scale),
      raw: data,
      fixed: 7,
    };
  });
  assert.deepEqual(await ct.runLocal(wf)(10), { text: "x:40,30,50", raw: { rows: [3, 4], label: "x" }, fixed: 7 });
});

test("a failed electron fails its dependants and the run, while independent branches finish", async () => {
  const finished: string[] = [];
  const boom = ct.electron(function boom(): number {
    throw new Error("disk full");
  });
  const after = ct.electron(function after(x: number) {
    finished.push("after");
    return x;
  });
  const other = ct.electron(async function other() {
    await new Promise((r) => setTimeout(r, 20));
    finished.push("other");
    return 1;
  });
  const statuses = new Map<number, string>();
  const wf = ct.lattice(function partial() {
    return [after(boom()), other()];
  });
  await assert.rejects(
    ct.runLocal(wf, { onNodeUpdate: (u) => statuses.set(u.node, u.status) })(),
    (error: ct.WorkflowError) => {
      assert.equal(error.code, "TASK_FAILED");
      assert.match(error.message, /lattice "partial" failed: electron "boom" \(node 0\) failed: disk full/);
      assert.equal((error.cause as Error).message, "disk full");
      return true;
    },
  );
  assert.deepEqual(finished, ["other"]);
  assert.deepEqual([...statuses].sort(), [
    [0, "FAILED"],
    [1, "CANCELLED"],
    [2, "COMPLETED"],
  ]);
});

test("retries run a failing electron again, up to its retries", async () => {
  let attempts = 0;
  const flaky = ct.electron(
    function flaky() {
      if (++attempts < 3) throw new Error(`attempt ${attempts}`);
      return attempts;
    },
    { retries: 2 },
  );
  assert.equal(await ct.runLocal(ct.lattice(() => flaky(), { name: "retrying" }))(), 3);
  attempts = -10;
  await assert.rejects(
    ct.runLocal(ct.lattice(() => flaky(), { name: "exhausted" }))(),
    /failed after 3 attempts: attempt -7/,
  );
});

test("an async electron past its timeoutMs fails", async () => {
  const slow = ct.electron(
    async function slow() {
      await new Promise((r) => setTimeout(r, 1000));
      return 1;
    },
    { timeoutMs: 30 },
  );
  await assert.rejects(
    ct.runLocal(ct.lattice(() => slow(), { name: "late" }))(),
    /"slow" \(node 0\) timed out after 30 ms/,
  );
});

test("wait edges order electrons that share no data", async () => {
  const order: string[] = [];
  const log = ct.electron(async function log(label: string, delayMs: number) {
    await new Promise((r) => setTimeout(r, delayMs));
    order.push(label);
    return label;
  });
  const wf = ct.lattice(function ordered() {
    const setup = log("setup", 40);
    return ct.wait(log("load", 0), setup);
  });
  assert.equal(await ct.runLocal(wf)(), "load");
  assert.deepEqual(order, ["setup", "load"]);
});

test("a sublattice is built at run time with the real inputs: its loop length comes from an earlier electron", async () => {
  const howMany = ct.electron(function howMany() {
    return 4;
  });
  const square = ct.electron(function square(x: number) {
    return x * x;
  });
  const squares = ct.electron(
    ct.lattice(function squares(n: number) {
      return Array.from({ length: n }, (_, i) => square(i));
    }),
  );
  const wf = ct.lattice(function dynamic() {
    return squares(howMany());
  });
  assert.deepEqual(await ct.runLocal(wf)(), [0, 1, 4, 9]);
});

test("callBefore and callAfter hooks run around the electron", async () => {
  const calls: string[] = [];
  const work = ct.electron(
    function work() {
      calls.push("work");
      return 1;
    },
    { callBefore: () => void calls.push("before"), callAfter: [() => void calls.push("after")] },
  );
  await ct.runLocal(ct.lattice(() => work(), { name: "hooked" }))();
  assert.deepEqual(calls, ["before", "work", "after"]);
});

test("run events report the start, every node update and the end of each run", async () => {
  const events: string[] = [];
  const stop = ct.onRunEvent((e) => events.push(e.type === "node" ? `${e.update.node}:${e.update.status}` : e.type));
  try {
    await ct.runLocal(ct.lattice(() => processData(1), { name: "observed" }))();
  } finally {
    stop();
  }
  assert.deepEqual(events, ["start", "0:COMPLETED", "1:RUNNING", "1:COMPLETED", "end"]);
});
