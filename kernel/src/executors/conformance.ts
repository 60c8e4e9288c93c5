// The conformance suite every executor passes — built-in or a user's own package: registers
// node:test tests against an executor factory. `executorConformance("mine", () => new Mine())`.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { deserialize, serialize } from "node:v8";
import { electron } from "../workflow/electron";
import { serializeElectron } from "../workflow/serialize";
import type { Executor, TaskOutcome, TaskSpec } from "./executor";

export interface ConformanceOptions {
  /** The executor captures a task's stdout/stderr into its logs. Default true. */
  readonly capturesLogs?: boolean;
}

const echo = electron(function echo(value: unknown) {
  return value;
});
const fail = electron(function fail(message: string) {
  throw new RangeError(message);
});
const sleep = electron(async function sleep(ms: number) {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return ms;
});
const talk = electron(function talk(label: string) {
  console.log(`hello from ${label}`);
  console.error(`warning from ${label}`);
  return label;
});
const unstorable = electron(function unstorable() {
  return { callback: () => 1 };
});

let nextNode = 0;
export function taskFor(target: Parameters<typeof serializeElectron>[0], args: unknown[]): TaskSpec {
  const spec = serializeElectron(target);
  return {
    dispatchId: "conformance",
    nodeId: nextNode++,
    attempt: 1,
    name: spec.electron.name,
    electron: spec,
    args: serialize(args),
    resources: { cpus: 1 },
  };
}

const run = (executor: Executor, task: TaskSpec, signal = new AbortController().signal): Promise<TaskOutcome> =>
  executor.submit(task, signal);

export function executorConformance(
  name: string,
  make: () => Executor | Promise<Executor>,
  options: ConformanceOptions = {},
): void {
  let executor: Executor | undefined;
  const get = async (): Promise<Executor> => (executor ??= await make());
  after(async () => executor?.close());

  test(`${name} executor: runs a task and returns its output`, async () => {
    const outcome = await run(await get(), taskFor(echo, [{ answer: 42 }]));
    assert.ok(outcome.ok);
    assert.deepEqual(deserialize(outcome.output), { answer: 42 });
    assert.ok(outcome.startedAt <= outcome.endedAt);
  });

  test(`${name} executor: structured values survive (Map, Set, Date, BigInt, typed arrays)`, async () => {
    const value = { m: new Map([[1, new Set(["a"])]]), d: new Date(0), b: 2n ** 70n, t: new Float64Array([1.5]) };
    const outcome = await run(await get(), taskFor(echo, [value]));
    assert.ok(outcome.ok);
    assert.deepEqual(deserialize(outcome.output), value);
  });

  test(`${name} executor: a throwing task is a failed outcome with name, message and stack`, async () => {
    const outcome = await run(await get(), taskFor(fail, ["bad input"]));
    assert.ok(!outcome.ok);
    assert.equal(outcome.error.name, "RangeError");
    assert.equal(outcome.error.message, "bad input");
    assert.match(outcome.error.stack ?? "", /fail/);
  });

  test(`${name} executor: an output that cannot be stored fails clearly`, async () => {
    const outcome = await run(await get(), taskFor(unstorable, []));
    assert.ok(!outcome.ok);
    assert.match(outcome.error.message, /the output of electron "unstorable" cannot be stored/);
  });

  test(`${name} executor: concurrent tasks all complete`, async () => {
    const outcomes = await Promise.all([1, 2, 3].map(async (i) => run(await get(), taskFor(sleep, [20 * i]))));
    assert.deepEqual(
      outcomes.map((o) => o.ok && deserialize(o.output)),
      [20, 40, 60],
    );
  });

  test(`${name} executor: aborting a running task rejects with the abort reason`, async () => {
    const controller = new AbortController();
    const pending = run(await get(), taskFor(sleep, [30_000]), controller.signal);
    setTimeout(() => controller.abort(new Error("stop now")), 50);
    await assert.rejects(pending, /stop now/);
    const after = await run(await get(), taskFor(echo, ["still working"]));
    assert.ok(after.ok, "the executor keeps working after an abort");
  });

  if (options.capturesLogs ?? true) {
    test(`${name} executor: a task's stdout and stderr are its logs`, async () => {
      const outcome = await run(await get(), taskFor(talk, ["t1"]));
      assert.ok(outcome.ok);
      assert.deepEqual(
        outcome.logs.map((l) => [l.stream, l.text]),
        [
          ["stdout", "hello from t1\n"],
          ["stderr", "warning from t1\n"],
        ],
      );
    });
  }
}
