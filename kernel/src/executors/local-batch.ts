// A batch of tasks as one compact message to a local worker: what tasks share (dispatch id, name,
// spec key, resources, volume) is sent once and referred to by index, per-task numbers travel in one
// Int32Array and every task's arguments in one buffer. Cloning a task object with a buffer each was
// most of a short task's cost; this is a fraction of it, on both threads (npm run bench).
import { Interner } from "../workflow/interner";
import type { ElectronSpec } from "../workflow/serialize";
import type { TaskSpec } from "./executor";
import type { BatchMessage } from "./local-protocol";

/** Ints per task in `BatchMessage.fields`. */
const FIELDS = 9;
const [KEY, DISPATCH, NAME, RESOURCES, VOLUME, NODE, ATTEMPT, ARGS_END, INPUT_AT] = [
  0, 1, 2, 3, 4, 5, 6, 7, 8,
] as const;
const NONE = -1;

/** One task of a batch: its spec key, and the spec itself when the worker does not have it. */
export interface BatchEntry {
  readonly task: TaskSpec;
  readonly key: string;
  readonly spec: ElectronSpec | undefined;
  /** A follow-up (executor.ts): the argument positions that take the previous task's output. */
  readonly inputAt?: readonly number[] | undefined;
}

/** `base`: the control slot of the first task (the others follow it). */
export function encodeBatch(entries: readonly BatchEntry[], forget: readonly string[], base = 0): BatchMessage {
  const keys = new Interner<string>();
  const specs: Array<ElectronSpec | null> = [];
  const strings = new Interner<string>();
  const objects = new Interner<unknown>();
  const fields = new Int32Array(entries.length * FIELDS);
  let size = 0;
  for (const { task } of entries) size += task.args.byteLength;
  const args = new Uint8Array(size);
  let end = 0;
  entries.forEach(({ task, key, spec, inputAt }, i) => {
    const k = keys.at(key);
    specs[k] ??= spec ?? null;
    const f = i * FIELDS;
    fields[f + KEY] = k;
    fields[f + DISPATCH] = strings.at(task.dispatchId);
    fields[f + NAME] = strings.at(task.name);
    fields[f + RESOURCES] = objects.at(task.resources);
    fields[f + VOLUME] = task.volume ? objects.at(task.volume) : NONE;
    fields[f + NODE] = task.nodeId;
    fields[f + ATTEMPT] = task.attempt;
    // As text: cloning an array object per task made a chain's message several times dearer.
    fields[f + INPUT_AT] = inputAt ? strings.at(inputAt.join(",")) : NONE;
    args.set(task.args, end);
    fields[f + ARGS_END] = end += task.args.byteLength;
  });
  return {
    type: "batch",
    base,
    forget,
    keys: keys.values,
    specs,
    strings: strings.values,
    objects: objects.values,
    fields,
    args,
  };
}

export function batchSize(message: BatchMessage): number {
  return message.fields.length / FIELDS;
}

/** True when task `i` of the batch is a follow-up: it takes the output of task `i - 1`. */
export function followsPrevious(message: BatchMessage, i: number): boolean {
  return i * FIELDS < message.fields.length && message.fields[i * FIELDS + INPUT_AT] !== NONE;
}

/** Task `i` of the batch (its spec travels apart: `electron` is null), with its spec key and spec. */
export function batchTask(message: BatchMessage, i: number): BatchEntry {
  const { fields, strings, objects } = message;
  const f = i * FIELDS;
  const start = i === 0 ? 0 : fields[f - FIELDS + ARGS_END]!;
  const volume = fields[f + VOLUME]!;
  const task: TaskSpec = {
    dispatchId: strings[fields[f + DISPATCH]!]!,
    nodeId: fields[f + NODE]!,
    attempt: fields[f + ATTEMPT]!,
    name: strings[fields[f + NAME]!]!,
    electron: null,
    args: message.args.subarray(start, fields[f + ARGS_END]),
    resources: objects[fields[f + RESOURCES]!] as TaskSpec["resources"],
    ...(volume === NONE ? {} : { volume: objects[volume] as NonNullable<TaskSpec["volume"]> }),
  };
  const k = fields[f + KEY]!;
  const inputAt = fields[f + INPUT_AT]!;
  return {
    task,
    key: message.keys[k]!,
    spec: message.specs[k] ?? undefined,
    inputAt: inputAt === NONE ? undefined : positions(strings[inputAt]!),
  };
}

/** A follow-up that only waits on the task before it (a `wait` edge) takes its output nowhere: "". */
function positions(text: string): number[] {
  return text === "" ? [] : text.split(",").map(Number);
}
