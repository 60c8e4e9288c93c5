// The inline executor: tasks run in the dispatcher's own event loop, for tests and trivial tasks. No
// isolation and no memory limit. A task's stdout/stderr writes (console included) made in its async
// context are captured into its logs. Abort (cancel, timeout) rejects the submit at once, but cannot
// stop the task's code: a synchronous loop blocks the whole dispatcher, and async work runs on with
// its result discarded. Use the local executor for anything that may hang or allocate a lot.
import { availableParallelism } from "node:os";
import type { Executor, ExecutorCapacity, LogLine, TaskOutcome, TaskSpec } from "./executor";
import { onAbort } from "./abort-listeners";
import { withCapturedLogs } from "./log-capture";
import { taskError } from "./task-error";
import { runTask } from "./task-runtime";
import type { InlineExecutorConfig } from "@valence/schema";

/** The inline executor's options: `InlineExecutorConfig` of config.schema.json, documented there. */
export type InlineExecutorOptions = Readonly<InlineExecutorConfig>;

export class InlineExecutor implements Executor {
  readonly name = "inline";
  readonly capacity: ExecutorCapacity;
  private closed = false;
  private readonly pending = new Set<(reason: Error) => void>();

  constructor(options: InlineExecutorOptions = {}) {
    const cpus = options.concurrency ?? availableParallelism();
    if (!(cpus > 0)) throw new RangeError(`InlineExecutor: concurrency must be positive (got ${cpus})`);
    this.capacity = { cpus, memoryMB: options.memoryMB ?? Number.MAX_SAFE_INTEGER, gpus: 0 };
  }

  submit(task: TaskSpec, signal: AbortSignal): Promise<TaskOutcome> {
    if (this.closed) return Promise.reject(new Error("the inline executor is closed"));
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<TaskOutcome>((resolve, reject) => {
      const stop = (reason: unknown): void => {
        done();
        reject(reason);
      };
      const unlisten = onAbort(signal, () => stop(signal.reason));
      const done = (): void => {
        unlisten();
        this.pending.delete(stop);
      };
      this.pending.add(stop);
      void this.run(task).then((outcome) => {
        done();
        resolve(outcome);
      });
    });
  }

  /** Rejects every pending submit; their code, if still running, is not stopped. */
  async close(): Promise<void> {
    this.closed = true;
    for (const stop of [...this.pending]) stop(new Error("the inline executor was closed"));
  }

  private async run(task: TaskSpec): Promise<TaskOutcome> {
    const logs: LogLine[] = [];
    const startedAt = Date.now();
    try {
      const output = await withCapturedLogs(logs, () => runTask(task));
      return { ok: true, output, logs: [...logs], startedAt, endedAt: Date.now() };
    } catch (error) {
      return { ok: false, error: taskError(error), logs: [...logs], startedAt, endedAt: Date.now() };
    }
  }
}
