// Running one task wherever an executor puts it (a worker thread, the dispatcher's own loop):
// rebuild the electron from its spec (once per spec), decode the arguments, run the hooks and the
// function, encode the output.
import { deserialize, serialize } from "node:v8";
import { createHash } from "node:crypto";
import { electronDefinition } from "../workflow/definition";
import { hookList } from "../workflow/options";
import { runInTaskContext } from "../workflow/task-context";
import { rebuildElectron, type ElectronSpec } from "../workflow/serialize";
import type { TaskSpec } from "./executor";

const rebuilt = new Map<string, ReturnType<typeof rebuildElectron>>();
const byObject = new WeakMap<object, ReturnType<typeof rebuildElectron>>();
const MAX_CACHED = 500;

function electronFor(spec: ElectronSpec): ReturnType<typeof rebuildElectron> {
  let found = byObject.get(spec);
  if (found) return found;
  const key = createHash("sha1").update(JSON.stringify(spec)).digest("base64");
  found = rebuilt.get(key);
  if (!found) {
    if (rebuilt.size >= MAX_CACHED) rebuilt.clear();
    found = rebuildElectron(spec);
    found.catch(() => rebuilt.delete(key));
    rebuilt.set(key, found);
  }
  byObject.set(spec, found);
  return found;
}

/** Runs the task and returns its serialized output; throws what the task threw. */
export function runTask(task: TaskSpec): Promise<Uint8Array> {
  return runRebuilt(electronFor(task.electron as ElectronSpec), task);
}

/** Runs the task with an electron already rebuilt (or being rebuilt) from its spec. */
export async function runRebuilt(rebuilt: ReturnType<typeof rebuildElectron>, task: TaskSpec): Promise<Uint8Array> {
  const definition = electronDefinition(await rebuilt)!;
  const args = deserialize(task.args) as unknown[];
  if (definition.sublattice) {
    throw new Error(
      `electron "${task.name}" wraps a lattice: the dispatcher runs it as a child dispatch, not an executor`,
    );
  }
  const context = {
    dispatchId: task.dispatchId,
    nodeId: task.nodeId,
    attempt: task.attempt,
    ...(task.volume ? { volume: task.volume } : {}),
  };
  const output = await runInTaskContext(context, async () => {
    for (const hook of hookList(definition.options.callBefore)) await hook();
    const value = await definition.fn(...args);
    for (const hook of hookList(definition.options.callAfter)) await hook();
    return value;
  });
  try {
    return serialize(output);
  } catch (error) {
    throw new TypeError(
      `the output of electron "${task.name}" cannot be stored: ${(error as Error).message}. Return plain data ` +
        `(objects, arrays, Map, Set, Date, BigInt, typed arrays), not functions or class instances with methods.`,
    );
  }
}
