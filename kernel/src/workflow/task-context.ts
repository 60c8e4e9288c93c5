// What a running electron can know about its run: `ct.taskContext()` inside the task gives the
// dispatch, the node, the attempt and the dispatch's volume directory. Carried by AsyncLocalStorage,
// shared through globalThis so every loaded copy of valence sees the same context.
import { AsyncLocalStorage } from "node:async_hooks";
import { WorkflowError } from "./errors";

export interface TaskContext {
  readonly dispatchId: string;
  readonly nodeId: number;
  /** 1 for the first try, 2 for the first retry… */
  readonly attempt: number;
  /** The dispatch's volume, when one was attached: a directory that persists across dispatches. */
  readonly volume?: { readonly name: string; readonly path: string };
}

const KEY = Symbol.for("valence.taskContext");
const storage = ((globalThis as { [KEY]?: AsyncLocalStorage<TaskContext> })[KEY] ??=
  new AsyncLocalStorage<TaskContext>());

/** The context of the task running now. Throws outside a task run by an executor or by runLocal. */
export function taskContext(): TaskContext {
  const context = storage.getStore();
  if (!context) {
    throw new WorkflowError(
      "ELECTRON_OUTSIDE_LATTICE",
      "taskContext() is only available inside an electron run by a dispatcher's executor or by runLocal",
    );
  }
  return context;
}

export function runInTaskContext<T>(context: TaskContext, body: () => T): T {
  return storage.run(context, body);
}
