// The messages between the local executor and its worker threads (local-worker.ts): the pool sends a
// batch of tasks (one, several short ones, or a chain of dependent ones) that the worker runs one
// after another, each electron's spec only the first time that worker sees it; the worker streams
// each task's log lines as they are written, and its outcome after them: the outcomes of consecutive
// tasks packed in one message (local-outcomes.ts), one message for one task with a large output. A
// batch may arrive while the one before runs: the worker runs them in order. A shared array (one slot per task of the two) says which tasks
// may still start: the pool cancels a task that has not started without waiting for the worker.
import type { ElectronSpec } from "../workflow/serialize";
import type { LogLine, TaskError } from "./executor";

/** Tasks in one batch at most (the control array has twice as many slots). */
export const MAX_BATCH = 64;

/** Control slot states: written by the worker (STARTED, DONE) and the pool (the others), with CAS. */
export const QUEUED = 0;
export const STARTED = 1;
export const DONE = 2;
/** Aborted before it started: the worker skips it. */
export const CANCELLED = 3;
/** Held back because the worker is being stopped: the pool runs it elsewhere. */
export const HELD = 4;

/** `workerData` of a local worker. */
export interface WorkerSetup {
  readonly control: SharedArrayBuffer;
  /** One float: when (Date.now()) the worker started the task it runs now. */
  readonly clock: SharedArrayBuffer;
  /** The outcomes the worker has not sent yet (local-outcomes.ts): the pool reads them if it ends first. */
  readonly outcomes: SharedArrayBuffer;
  /**
   * Valence's module loader (dist/register.js), registered by the worker only when an electron
   * imports a module that is not built in: the loader's own thread costs memory in every worker.
   */
  readonly loader: string | undefined;
}

/** A batch of tasks, packed by local-batch.ts (read it with `batchTask`). */
export interface BatchMessage {
  readonly type: "batch";
  /**
   * The control slot of its first task; task i uses slot base + i, and replies name that slot. The
   * control array has 2 × MAX_BATCH slots: a batch may be queued behind the running one, in the other half.
   */
  readonly base: number;
  /** Spec keys the worker should drop from its cache: the pool bounds what each worker keeps. */
  readonly forget: readonly string[];
  /** Spec keys (hash of the spec's JSON: the worker caches rebuilt electrons under them)... */
  readonly keys: readonly string[];
  /** ...and the spec for a key this worker has not been sent yet (or forgot), else null. */
  readonly specs: ReadonlyArray<ElectronSpec | null>;
  /** Dispatch ids and names, and resources and volumes, that tasks refer to by index. */
  readonly strings: readonly string[];
  readonly objects: readonly unknown[];
  /**
   * Per task, 9 ints: key, dispatch id, name, resources, volume (-1: none), node, attempt, end of its
   * args, and for a follow-up the positions that take the previous task's output (as text in
   * `strings`, "0" or "0,2", "" for one that only waits for it; -1: not a follow-up).
   */
  readonly fields: Int32Array;
  /** Every task's serialized arguments, one after another. */
  readonly args: Uint8Array;
}

/**
 * The task in slot `index` finished: its output, or its error (its log lines came as "log" messages).
 * Flat, not a TaskOutcome: one object to clone a task. `specFailed`: the rebuild threw. `micros`: how
 * long the task itself ran.
 */
export interface DoneReply {
  readonly type: "done";
  readonly index: number;
  readonly output: Uint8Array | undefined;
  readonly error: TaskError | undefined;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly specFailed: boolean;
  readonly micros: number;
}

/**
 * The task in slot `index` did not run: cancelled or held before it started, or (`notRun`) a follow-up
 * whose previous task did not succeed.
 */
export interface SkippedReply {
  readonly type: "skipped";
  readonly index: number;
  readonly notRun?: true;
}

/**
 * The outcomes ("done" or "skipped") of the tasks in slots `first`, `first + 1`... of one batch, packed
 * by local-outcomes.ts (read outcome i with `packedOutcome`): the typed arrays are views of one buffer,
 * so the message clones one buffer, not an object per task. Never spans two batches.
 */
export interface OutcomesReply {
  readonly type: "outcomes";
  readonly first: number;
  /** Per task: startedAt, endedAt (Date.now()), micros (0 for a skipped task). */
  readonly times: Float64Array;
  /** Per task: the end of its output in `outputs` (it starts where the one before ends). */
  readonly ends: Int32Array;
  /** Per task: flags (local-outcomes.ts: failed, spec failed, skipped, not run). */
  readonly flags: Uint8Array;
  /** Per task that ran: its output or, if it failed, its error as JSON; one after another. */
  readonly outputs: Uint8Array;
}

export type WorkerReply =
  /** The worker loaded its modules and waits for tasks. */
  | { readonly type: "ready" }
  /**
   * The first task of an electron this worker runs starts now, its electron rebuilt (and its npm
   * environment installed): the pool reports its start, and so starts its timeout, only now.
   */
  | { readonly type: "started"; readonly index: number; readonly at: number }
  /** A line the task in control slot `index` wrote: posted as written, before its outcome. */
  | { readonly type: "log"; readonly index: number; readonly line: LogLine }
  /**
   * The thread is ending (`process.exit()` in a task, or an uncaught exception: `crashed`), its held
   * outcomes sent just before. The thread's teardown takes a while (hundreds of ms on a busy machine)
   * before the pool sees it exit: the task that ended it has failed now.
   */
  | { readonly type: "exiting"; readonly code: number; readonly crashed: boolean }
  | DoneReply
  | SkippedReply
  | OutcomesReply;
