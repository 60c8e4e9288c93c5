// onAbort (executors/abort-listeners.ts) shares one listener per signal. The dispatcher recycles the
// AbortControllers of tasks that ended unaborted (executor-pool.ts), so a signal lives on after its
// task: what its listener holds must not be the task's callback (and through it the task, its
// dispatch's run and graph). The long hostile fuzz run found finished dispatches kept that way.
import { test } from "node:test";
import assert from "node:assert/strict";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { onAbort } from "#src/executors/abort-listeners.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

test("a callback unregistered from a signal that lives on is not kept by the signal's listener", async () => {
  const controller = new AbortController();
  const refs: Array<WeakRef<object>> = [];
  // Registered and unregistered in a function of its own: nothing here refers to the tasks after.
  const run = (): void => {
    for (let i = 0; i < 3; i++) {
      const task = { id: i, graph: new Array(1000).fill(i) };
      refs.push(new WeakRef(task));
      const unlisten = onAbort(controller.signal, () => void task.id);
      unlisten();
    }
  };
  run();
  await new Promise((resolve) => setImmediate(resolve)); // WeakRefs are cleared only after this job
  gc();
  assert.deepEqual(
    refs.map((ref) => ref.deref() === undefined),
    [true, true, true],
    "tasks still reachable from the recycled signal",
  );
  // The signal still works for what is registered later.
  let called = 0;
  onAbort(controller.signal, () => called++);
  controller.abort();
  assert.equal(called, 1);
});
