// The messages between the local executor and its worker threads (local-worker.ts): the pool sends
// one task at a time, with the electron's spec only the first time that worker sees it; the worker
// streams the task's log lines as they are written, then its outcome.
import type { ElectronSpec } from "../workflow/serialize";
import type { LogLine, TaskOutcome, TaskSpec } from "./executor";

export interface RunMessage {
  readonly type: "run";
  /** The task without its spec (`electron: null`): the spec travels once per worker, as `spec`. */
  readonly task: TaskSpec;
  /** The spec's identity (hash of its JSON): the worker's rebuilt electron is cached under it. */
  readonly key: string;
  /** Present when this worker has not been sent this spec yet (or forgot it). */
  readonly spec?: ElectronSpec;
  /** Spec keys the worker should drop from its cache: the pool bounds what each worker keeps. */
  readonly forget: readonly string[];
}

export type WorkerReply =
  /** The worker loaded its modules and waits for tasks. */
  | { readonly type: "ready" }
  | { readonly type: "log"; readonly line: LogLine }
  /** `outcome.logs` is empty: the lines came as "log" messages. `specFailed`: the rebuild threw. */
  | { readonly type: "done"; readonly outcome: TaskOutcome; readonly specFailed: boolean };
