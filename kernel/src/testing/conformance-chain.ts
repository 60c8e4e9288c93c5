// The conformance tests of `Executor.submitChain`, for executors that have it (conformance.ts runs
// them): follow-ups take the previous output, each a copy of its own; after a task that did not
// succeed nothing of the chain runs; an aborted follow-up takes the rest of the chain with it.
import assert from "node:assert/strict";
import { deserialize } from "node:v8";
import { electron } from "../workflow/electron";
import type { serializeElectron } from "../workflow/serialize";
import type { TestContext } from "node:test";
import type { Executor, FollowUp, TaskOutcome, TaskSpec } from "../executors/executor";

// The tasks travel by value: their bodies use nothing from this module's scope.
const add = electron(function add(a: number, b: number) {
  return a + b;
});
const fail = electron(function fail(message: string) {
  throw new RangeError(message);
});
const pause = electron(async function pause(ms: number) {
  await new Promise((resolve) => setTimeout(resolve, ms).unref());
  return ms;
});
const emptyList = electron(function emptyList(): number[] {
  return [];
});
const aliased = electron(function aliased(a: number[], b: number[]) {
  a.push(1);
  return b.length;
});

type Spec = (target: Parameters<typeof serializeElectron>[0], args: unknown[]) => TaskSpec;

const follow = (task: TaskSpec, inputAt: number[], signal = new AbortController().signal): FollowUp => ({
  task,
  inputAt,
  signal,
});

const value = (outcome: TaskOutcome): unknown => {
  if (!outcome.ok) assert.fail(`the task failed: ${outcome.error.name}: ${outcome.error.message}`);
  return deserialize(outcome.output);
};

const isNotRun = (error: unknown): boolean => (error as Error).name === "NotRun";

/** Registers the tests through `it`; each is skipped for an executor without `submitChain`. */
export function chainConformance(
  it: (title: string, body: (t: TestContext) => Promise<void>) => void,
  get: () => Promise<Executor>,
  specFor: Spec,
): void {
  const chain = async (first: TaskSpec, followUps: FollowUp[], signal = new AbortController().signal) => {
    const executor = await get();
    return executor.submitChain!(first, signal, undefined, followUps);
  };
  const chainIt = (title: string, body: () => Promise<void>): void =>
    it(title, async (t) => {
      if (!(await get()).submitChain) return t.skip("the executor has no submitChain");
      await body();
    });

  chainIt("a chain runs each follow-up with the output of the task before it", async () => {
    const outcomes = await chain(specFor(add, [1, 2]), [
      follow(specFor(add, [undefined, 10]), [0]),
      follow(specFor(add, [undefined, undefined]), [0, 1]),
    ]);
    assert.deepEqual((await Promise.all(outcomes)).map(value), [3, 13, 26]);
  });

  chainIt("each position of a follow-up gets its own copy of the previous output", async () => {
    const [first, second] = await chain(specFor(emptyList, []), [
      follow(specFor(aliased, [undefined, undefined]), [0, 1]),
    ]);
    assert.deepEqual(value(await first!), []);
    assert.equal(value(await second!), 0, "pushing to one argument must not change the other");
  });

  chainIt("after a task that failed, its follow-ups do not run: they reject with NotRun", async () => {
    const [first, ...rest] = await chain(specFor(fail, ["broken"]), [
      follow(specFor(add, [undefined, 1]), [0]),
      follow(specFor(add, [undefined, 1]), [0]),
    ]);
    const ends = await Promise.allSettled([first!, ...rest]);
    const outcome = ends[0]!.status === "fulfilled" ? ends[0]!.value : undefined;
    assert.ok(outcome && !outcome.ok && outcome.error.message === "broken");
    for (const later of ends.slice(1)) assert.ok(later.status === "rejected" && isNotRun(later.reason));
  });

  chainIt(
    "an aborted follow-up rejects with its reason, the rest of the chain with NotRun; the first task is unaffected",
    async () => {
      const controller = new AbortController();
      const [first, aborted, after] = await chain(specFor(pause, [300]), [
        follow(specFor(add, [undefined, 1]), [0], controller.signal),
        follow(specFor(add, [undefined, 1]), [0]),
      ]);
      setTimeout(() => controller.abort(new Error("not this one")), 50);
      const [firstEnd, abortedEnd, afterEnd] = await Promise.allSettled([first!, aborted!, after!]);
      assert.equal(firstEnd.status === "fulfilled" && value(firstEnd.value), 300);
      assert.match(abortedEnd.status === "rejected" ? String(abortedEnd.reason) : "it ran", /not this one/);
      assert.ok(afterEnd.status === "rejected" && isNotRun(afterEnd.reason), "the task after it did not run");
    },
  );
}
