// Running one task wherever an executor puts it (a worker thread, the dispatcher's own loop):
// rebuild the electron from its spec (once per spec, keyed by a hash of its JSON), decode the
// arguments, run the hooks and the function in the task's context, encode the output. An electron
// with `deps.npm` is rebuilt in its npm environment, installed here first if this machine has none,
// after its `deps.bash` commands ran here (once per machine).
import { deserialize, serialize } from "node:v8";
import { createHash } from "node:crypto";
import { electronDefinition, type ElectronDefinition } from "../workflow/definition";
import { hookList } from "../workflow/options";
import { runInTaskContext } from "../workflow/task-context";
import { rebuildElectron, type ElectronSpec } from "../workflow/serialize";
import type { TaskSpec } from "./executor";

export type RebuiltElectron = ReturnType<typeof rebuildElectron>;

const keys = new WeakMap<object, string>();

/** A spec's identity: the hash of its JSON, computed once per spec object. */
export function specKey(spec: unknown): string {
  if (spec === null || typeof spec !== "object") throw new TypeError("a task's electron spec must be an object");
  let key = keys.get(spec);
  if (key === undefined) {
    key = createHash("sha1").update(JSON.stringify(spec)).digest("base64");
    keys.set(spec, key);
  }
  return key;
}

/** Rebuilt electrons by spec key, oldest first; failed rebuilds are forgotten so a retry tries again. */
export class ElectronCache {
  private readonly rebuilt = new Map<string, RebuiltElectron>();
  /** The definitions of those whose rebuild is done: a task of one can run without waiting. */
  private readonly done = new Map<string, ElectronDefinition>();

  constructor(private readonly max = 256) {}

  get(key: string, spec: () => ElectronSpec | undefined): RebuiltElectron {
    let found = this.rebuilt.get(key);
    if (found) return found;
    const source = spec();
    if (!source) return Promise.reject(new Error(`internal: the worker has no electron spec ${key}`));
    if (this.rebuilt.size >= this.max) this.forget(this.rebuilt.keys().next().value!);
    const rebuilding = rebuild(source);
    found = rebuilding;
    rebuilding.then(
      (value) => {
        const definition = electronDefinition(value);
        if (definition && this.rebuilt.get(key) === rebuilding) this.done.set(key, definition);
      },
      () => {
        if (this.rebuilt.get(key) === rebuilding) this.rebuilt.delete(key);
      },
    );
    this.rebuilt.set(key, found);
    return found;
  }

  /** The electron of `key` if its rebuild is done, else undefined. */
  ready(key: string): ElectronDefinition | undefined {
    return this.done.get(key);
  }

  has(key: string): boolean {
    return this.rebuilt.has(key);
  }

  forget(key: string): void {
    this.rebuilt.delete(key);
    this.done.delete(key);
  }
}

/**
 * The electron of a spec, after its `deps.bash` commands ran here and with its npm environment when
 * it has `deps.npm` (a failed command or install fails the rebuild).
 */
function rebuild(spec: ElectronSpec): RebuiltElectron {
  const { npm, bash } = spec.electron.options.deps ?? {};
  if ((!npm?.length && !bash?.length) || spec.electron.sublattice) return rebuildElectron(spec);
  // Loaded on first need: tasks without deps do exactly what they did before.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { bashDeps } = require("./bash-deps") as typeof import("./bash-deps");
  const { npmEnvironment } = require("./npm-env") as typeof import("./npm-env");
  /* eslint-enable @typescript-eslint/no-require-imports */
  return (bash?.length ? bashDeps(bash) : Promise.resolve()).then(async () =>
    npm?.length ? rebuildElectron(spec, await npmEnvironment(npm)) : rebuildElectron(spec),
  );
}

const shared = new ElectronCache();

/** Runs the task (rebuilding its electron through a shared cache) and returns its serialized output. */
export function runTask(task: TaskSpec): Promise<Uint8Array> {
  const key = specKey(task.electron);
  const ready = shared.ready(key);
  if (!ready)
    return runRebuilt(
      shared.get(key, () => task.electron as ElectronSpec),
      task,
    );
  try {
    const run = runDefinition(ready, task);
    return run instanceof Uint8Array ? Promise.resolve(run) : run;
  } catch (error) {
    // As the async path would: whatever the task threw, as thrown.
    return Promise.reject(error);
  }
}

/** The previous task's output, for a follow-up: put (a copy each) at the argument positions `at`. */
export interface FollowedInput {
  readonly at: readonly number[];
  readonly output: Uint8Array;
}

/** Runs the task with an electron already rebuilt (or being rebuilt) from its spec. */
export async function runRebuilt(rebuilt: RebuiltElectron, task: TaskSpec, input?: FollowedInput): Promise<Uint8Array> {
  const definition = electronDefinition(await rebuilt);
  if (!definition) throw new Error(`internal: the spec of electron "${task.name}" did not rebuild an electron`);
  return runDefinition(definition, task, input);
}

/**
 * Runs the task with its rebuilt electron. A function without hooks that returns a value (not a
 * promise) runs and is encoded at once, with no await: most short tasks do not wait for anything.
 */
export function runDefinition(
  definition: ElectronDefinition,
  task: TaskSpec,
  input?: FollowedInput,
): Uint8Array | Promise<Uint8Array> {
  if (definition.sublattice) {
    throw new Error(
      `electron "${task.name}" wraps a lattice: the dispatcher runs it as a child dispatch, not an executor`,
    );
  }
  const args = deserialize(task.args) as unknown[];
  if (input) for (const at of input.at) args[at] = deserialize(input.output);
  const context = {
    dispatchId: task.dispatchId,
    nodeId: task.nodeId,
    attempt: task.attempt,
    ...(task.volume ? { volume: task.volume } : {}),
  };
  const { callBefore, callAfter } = definition.options;
  if (callBefore === undefined && callAfter === undefined) {
    const value: unknown = runInTaskContext(context, () => definition.fn(...args));
    if (!isThenable(value)) return encodeOutput(task, value);
    return Promise.resolve(value).then((resolved) => encodeOutput(task, resolved));
  }
  return runInTaskContext(context, async () => {
    for (const hook of hookList(callBefore)) await hook();
    const value = await definition.fn(...args);
    for (const hook of hookList(callAfter)) await hook();
    return value;
  }).then((value) => encodeOutput(task, value));
}

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  (typeof value === "object" || typeof value === "function") &&
  value !== null &&
  typeof (value as { then?: unknown }).then === "function";

function encodeOutput(task: TaskSpec, output: unknown): Uint8Array {
  try {
    return serialize(output);
  } catch (error) {
    throw new TypeError(
      `the output of electron "${task.name}" cannot be stored: ${(error as Error).message}. Return plain data ` +
        `(objects, arrays, Map, Set, Date, BigInt, typed arrays), not functions or class instances with methods.`,
    );
  }
}
