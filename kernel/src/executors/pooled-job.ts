// A task as the local executor's pool hands it to a worker thread (Job), and as the pool follows it
// while the worker has it (Running): its control slot, its logs, how it settled or was stopped.
import type { ElectronSpec } from "../workflow/serialize";
import type { LogLine, TaskOutcome, TaskSpec } from "./executor";

/** A task handed to a worker, and how to report on it. */
export interface Job {
  readonly task: TaskSpec;
  readonly key: string;
  readonly spec: ElectronSpec;
  /** A follow-up (executor.ts): the argument positions that take the previous job's output. */
  readonly inputAt: readonly number[] | undefined;
  /** Called when the task starts (it may wait behind others of its batch). */
  readonly started: (at: number) => void;
  readonly resolve: (outcome: TaskOutcome, micros: number) => void;
  readonly reject: (reason: unknown) => void;
}

export interface Running<J extends Job> {
  readonly job: J;
  readonly logs: LogLine[];
  /** Its slot in the control array (the batch's base + its position): replies name it. */
  readonly slot: number;
  settled: boolean;
  /** When the task started, once reported. */
  startedAt: number | undefined;
  /** Set when the pool terminates the worker for this task: the submit rejects with it. */
  stopReason?: { reason: unknown };
  /** Aborted after it ran, its outcome on its way: if the worker dies first, it rejects with this. */
  lateAbort?: { reason: unknown };
}

/** The task of `batch` at control slot `slot`, if the batch has it. */
export function inBatch<R extends { readonly slot: number }>(
  batch: readonly R[] | undefined,
  slot: number,
): R | undefined {
  const first = batch?.[0]?.slot;
  return first !== undefined && slot >= first && slot < first + batch!.length ? batch![slot - first] : undefined;
}
