// The one interface every executor implements (inline, local, and later bullmq or a user's own
// package): take a task — an electron's serialized spec and its serialized inputs — run it, and
// report its output or error with its logs. Cancel and timeouts arrive through an AbortSignal.
import type { Resources } from "../workflow/options";
import type { LogLine as SchemaLogLine, TaskErrorDocument } from "@valence/schema";

/** A value serialized with v8.serialize (structured-clone semantics). */
export type SerializedValue = Uint8Array;

export interface TaskSpec {
  readonly dispatchId: string;
  readonly nodeId: number;
  /** 1 for the first try, 2 for the first retry… */
  readonly attempt: number;
  /** The electron's name, for logs and errors. */
  readonly name: string;
  /**
   * The electron, serialized (`ElectronSpec` of workflow/serialize): JSON-compatible, so it can be
   * stored, sent to another process or machine, and rebuilt there without the user's kernel.
   */
  readonly electron: unknown;
  /** The call's arguments array, serialized. */
  readonly args: SerializedValue;
  readonly resources: Required<Pick<Resources, "cpus">> & Resources;
  /** The dispatch's volume: the directory the task sees as `taskContext().volume.path`. */
  readonly volume?: { readonly name: string; readonly path: string };
}

/** A line a task wrote: `LogLine` of protocol.schema.json. */
export type LogLine = Readonly<SchemaLogLine>;

/** How a task failed: `TaskErrorDocument` of protocol.schema.json. */
export type TaskError = Readonly<TaskErrorDocument>;

export type TaskOutcome =
  | {
      readonly ok: true;
      readonly output: SerializedValue;
      readonly logs: LogLine[];
      readonly startedAt: number;
      readonly endedAt: number;
      /** Which worker ran it, for executors that run tasks on other machines (bullmq). */
      readonly worker?: { readonly host: string; readonly pid: number; readonly id: string };
      /** Milliseconds the task waited for a worker before it started, where the executor knows. */
      readonly queuedMs?: number;
    }
  | {
      readonly ok: false;
      readonly error: TaskError;
      readonly logs: LogLine[];
      readonly startedAt: number;
      readonly endedAt: number;
      /** Which worker ran it, for executors that run tasks on other machines (bullmq). */
      readonly worker?: { readonly host: string; readonly pid: number; readonly id: string };
      /** Milliseconds the task waited for a worker before it started, where the executor knows. */
      readonly queuedMs?: number;
    };

export interface ExecutorCapacity {
  readonly cpus: number;
  readonly memoryMB: number;
  readonly gpus: number;
}

export interface SubmitOptions {
  /**
   * For executors with a `lookahead`: called when the task actually starts (it may first wait in the
   * executor's own queue), with the time in milliseconds since the epoch. Not called for a task that
   * never starts (aborted while queued, or failed before it could start).
   */
  readonly started?: (at: number) => void;
  /**
   * Called when the executor holds the task because it cannot place it yet (no live worker can run
   * it, …), with the reason users see ("no worker with 1 GPU is connected to queue …"); again when
   * the reason changes; and with undefined when the hold ends (the task is handed on). Not called
   * again once the task has started or settled. An executor that never holds tasks should not read
   * it: a dispatcher may make the callback on first access.
   */
  readonly waiting?: (reason: string | undefined) => void;
}

/**
 * A task to run right after another on the same worker, taking that task's output as some of its
 * arguments: a chain of dependent tasks then costs one message, not a round trip per step.
 */
export interface FollowUp {
  /** `args` are the call's arguments with `undefined` at each position of `inputAt`. */
  readonly task: TaskSpec;
  /** The argument positions that take the output of the task before it (none: it only waits for it). */
  readonly inputAt: readonly number[];
  readonly signal: AbortSignal;
  readonly options?: SubmitOptions;
}

/**
 * How a follow-up's submit rejects when it did not run because the task before it did not succeed
 * (failed, aborted, or lost with its worker): the caller submits it again once its inputs are known.
 */
export class NotRun extends Error {
  override readonly name = "NotRun";
}

export interface Executor {
  readonly name: string;
  /**
   * What the executor can run at once; the scheduler never submits more than this — unless the
   * executor has a `lookahead`.
   */
  readonly capacity: ExecutorCapacity;
  /**
   * CPUs' worth of tasks the scheduler may submit beyond `capacity`, for an executor that queues
   * tasks itself, never runs more than its capacity at once, and calls `SubmitOptions.started` when
   * each starts (the dispatcher reports a task running, and starts its timeout, only then). Lets it
   * start the next task — or hand a worker several short ones in one message — without waiting for
   * the dispatcher. Default 0.
   */
  readonly lookahead?: number;
  /**
   * Runs one task. Never rejects for a task's own failure (that is an `ok: false` outcome); rejects
   * only when the signal aborts, after the running work has been stopped.
   */
  submit(task: TaskSpec, signal: AbortSignal, options?: SubmitOptions): Promise<TaskOutcome>;
  /**
   * Optional: `submit(task)`, then each follow-up in turn on the same worker, each as soon as the one
   * before it succeeded, with that one's output at its `inputAt` positions. Returns one promise per
   * task (the first task's, then each follow-up's), each settling as `submit`'s does; a follow-up
   * that did not run rejects with `NotRun`. At most `maxFollowUps` follow-ups.
   */
  submitChain?(
    task: TaskSpec,
    signal: AbortSignal,
    options: SubmitOptions | undefined,
    followUps: readonly FollowUp[],
  ): Array<Promise<TaskOutcome>>;
  /** With `submitChain`: how many follow-ups one chain may carry. */
  readonly maxFollowUps?: number;
  /** Stops every worker; pending submits reject. */
  close(): Promise<void>;
}
