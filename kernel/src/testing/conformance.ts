// The conformance suite every executor passes — built-in or a user's own package: registers
// node:test tests against an executor factory. `executorConformance("mine", () => new Mine())`.
import { test, after, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deserialize, serialize } from "node:v8";
import { electron } from "../workflow/electron";
import { serializeElectron } from "../workflow/serialize";
import type { Executor, TaskOutcome, TaskSpec } from "../executors/executor";
import { chainConformance } from "./conformance-chain";

export interface ConformanceOptions {
  /** The executor captures a task's stdout/stderr into its logs. Default true. */
  readonly capturesLogs?: boolean;
  /** Abort stops a task stuck in synchronous code (inline cannot: it shares the caller's thread). Default true. */
  readonly stopsSyncCode?: boolean;
}

// The tasks below travel by value: their bodies use nothing from this module's scope.
const echo = electron(function echo(value: unknown) {
  return value;
});
const fail = electron(function fail(message: string) {
  throw new RangeError(message);
});
const hang = electron(async function hang(ms: number) {
  // Unref'd: an executor that cannot stop async work (inline) must not keep the test process alive.
  await new Promise((resolve) => setTimeout(resolve, ms).unref());
  return ms;
});
/** Announces itself in `dir`, then waits (up to 10 s) until `other` has too: proof both run at once. */
const rendezvous = electron(async function rendezvous(dir: string, me: string, other: string) {
  const fs = process.getBuiltinModule("node:fs");
  fs.writeFileSync(`${dir}/${me}`, "here");
  const deadline = Date.now() + 10_000;
  while (!fs.existsSync(`${dir}/${other}`)) {
    if (Date.now() > deadline) return `${me} never met ${other}`;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return `${me} met ${other}`;
});
const talk = electron(async function talk(label: string) {
  for (let i = 0; i < 5; i++) {
    console.log(`${label} out ${i}`);
    process.stderr.write(`${label} err ${i}\n`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return label;
});
const hooked = electron(
  function hooked() {
    console.log("body");
    return "done";
  },
  { callBefore: () => console.log("before"), callAfter: () => console.log("after") },
);
const context = electron(function context() {
  // What `taskContext()` reads (task-context.ts): this module is not instrumented, so the function
  // cannot close over an import and reaches the context through its global key instead.
  const storage = (globalThis as Record<symbol, { getStore(): Record<string, unknown> } | undefined>)[
    Symbol.for("valence.taskContext")
  ];
  const { dispatchId, nodeId, attempt } = storage?.getStore() ?? {};
  return { dispatchId, nodeId, attempt };
});
const unstorable = electron(function unstorable() {
  return { callback: () => 1 };
});
const spin = electron(function spin(flag: string) {
  process.getBuiltinModule("node:fs").writeFileSync(flag, "started");
  for (;;) {
    /* busy */
  }
});

let nextNode = 0;
/** A task spec for an electron and its arguments, as a dispatcher would submit it. */
export function taskSpecFor(
  target: Parameters<typeof serializeElectron>[0],
  args: unknown[],
  overrides: Partial<TaskSpec> = {},
): TaskSpec {
  const spec = serializeElectron(target);
  return {
    dispatchId: "conformance",
    nodeId: nextNode++,
    attempt: 1,
    name: spec.electron.name,
    electron: spec,
    args: serialize(args),
    resources: { cpus: 1 },
    ...overrides,
  };
}

const run = (executor: Executor, task: TaskSpec, signal = new AbortController().signal): Promise<TaskOutcome> =>
  executor.submit(task, signal);

const value = (outcome: TaskOutcome): unknown => {
  if (!outcome.ok) assert.fail(`the task failed: ${outcome.error.name}: ${outcome.error.message}`);
  return deserialize(outcome.output);
};

async function until(condition: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export function executorConformance(
  name: string,
  make: () => Executor | Promise<Executor>,
  options: ConformanceOptions = {},
): void {
  let shared: Executor | undefined;
  const get = async (): Promise<Executor> => (shared ??= await make());
  after(async () => shared?.close());
  const it = (title: string, body: (t: TestContext) => Promise<void>): void =>
    void test(`${name} executor: ${title}`, body);

  it("runs a task and returns its output", async () => {
    const outcome = await run(await get(), taskSpecFor(echo, [{ answer: 42 }]));
    assert.deepEqual(value(outcome), { answer: 42 });
    assert.ok(outcome.startedAt <= outcome.endedAt);
  });

  it("structured values survive both ways (Map, Set, Date, BigInt, typed arrays)", async () => {
    const input = { m: new Map([[1, new Set(["a"])]]), d: new Date(0), b: 2n ** 70n, t: new Float64Array([1.5]) };
    assert.deepEqual(value(await run(await get(), taskSpecFor(echo, [input]))), input);
  });

  it("a throwing task is a failed outcome with name, message and stack", async () => {
    const outcome = await run(await get(), taskSpecFor(fail, ["bad input"]));
    assert.ok(!outcome.ok);
    assert.equal(outcome.error.name, "RangeError");
    assert.equal(outcome.error.message, "bad input");
    assert.match(outcome.error.stack ?? "", /fail/);
  });

  it("an output that cannot be stored fails, naming the electron and what could not be cloned", async () => {
    const outcome = await run(await get(), taskSpecFor(unstorable, []));
    assert.ok(!outcome.ok);
    assert.match(outcome.error.message, /the output of electron "unstorable" cannot be stored: .*could not be cloned/);
  });

  it("the task sees its dispatch, node and attempt through taskContext()", async () => {
    const task = taskSpecFor(context, [], { dispatchId: "d-ctx", nodeId: 7, attempt: 2 });
    assert.deepEqual(value(await run(await get(), task)), { dispatchId: "d-ctx", nodeId: 7, attempt: 2 });
  });

  it("two tasks submitted together run at the same time", async (t) => {
    const executor = await get();
    if (executor.capacity.cpus < 2) {
      t.skip("capacity below 2 CPUs");
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), "valence-conformance-"));
    try {
      const outcomes = await Promise.all([
        run(executor, taskSpecFor(rendezvous, [dir, "a", "b"])),
        run(executor, taskSpecFor(rendezvous, [dir, "b", "a"])),
      ]);
      assert.deepEqual(outcomes.map(value), ["a met b", "b met a"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  if (options.capturesLogs ?? true) {
    it("a task's stdout and stderr are its logs, not mixed with a concurrent task's", async () => {
      const executor = await get();
      const outcomes = await Promise.all(["A", "B"].map((label) => run(executor, taskSpecFor(talk, [label]))));
      for (const [outcome, label] of [outcomes[0]!, outcomes[1]!].map((o, i) => [o, i ? "B" : "A"] as const)) {
        assert.ok(outcome.ok);
        const lines = outcome.logs.map((l) => [l.stream, l.text]);
        assert.deepEqual(
          lines.filter(([s]) => s === "stdout"),
          [0, 1, 2, 3, 4].map((i) => ["stdout", `${label} out ${i}\n`]),
        );
        assert.deepEqual(
          lines.filter(([s]) => s === "stderr"),
          [0, 1, 2, 3, 4].map((i) => ["stderr", `${label} err ${i}\n`]),
        );
      }
    });

    it("callBefore and callAfter hooks run around the function", async () => {
      const outcome = await run(await get(), taskSpecFor(hooked, []));
      assert.ok(outcome.ok);
      assert.deepEqual(
        outcome.logs.map((l) => l.text),
        ["before\n", "body\n", "after\n"],
      );
    });
  }

  it("aborting a running task rejects with the abort reason, and the executor keeps working", async () => {
    const executor = await get();
    const controller = new AbortController();
    const pending = run(executor, taskSpecFor(hang, [30_000]), controller.signal);
    setTimeout(() => controller.abort(new Error("stop now")), 50);
    await assert.rejects(pending, /stop now/);
    assert.equal(value(await run(executor, taskSpecFor(echo, ["still working"]))), "still working");
  });

  it("a task submitted with an aborted signal rejects", async () => {
    const controller = new AbortController();
    controller.abort(new Error("too late"));
    await assert.rejects(run(await get(), taskSpecFor(echo, [1]), controller.signal), /too late/);
  });

  if (options.stopsSyncCode ?? true) {
    it("aborting a task stuck in synchronous code stops it within a second", async () => {
      const executor = await get();
      const dir = mkdtempSync(join(tmpdir(), "valence-conformance-"));
      try {
        const flag = join(dir, "started");
        const controller = new AbortController();
        const pending = run(executor, taskSpecFor(spin, [flag]), controller.signal);
        pending.catch(() => {});
        await until(() => existsSync(flag), "the spinning task to start");
        const started = Date.now();
        controller.abort(new Error("cancelled"));
        await assert.rejects(pending, /cancelled/);
        assert.ok(Date.now() - started < 1000, `abort took ${Date.now() - started} ms`);
        assert.equal(value(await run(executor, taskSpecFor(echo, ["after spin"]))), "after spin");
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  chainConformance(it, get, taskSpecFor);

  it("close() rejects running submits and later ones", async () => {
    const executor = await make();
    const running = run(executor, taskSpecFor(hang, [30_000]));
    running.catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 20));
    await executor.close();
    await assert.rejects(running);
    await assert.rejects(run(executor, taskSpecFor(echo, [1])));
  });
}
