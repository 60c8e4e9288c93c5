// The inline executor: tasks run in the dispatcher's own event loop. For tests and trivial tasks —
// no isolation, no memory limit, and a busy synchronous task cannot be stopped (cancel and timeouts
// only settle the node; the code runs on). Logs are not captured: output goes to the dispatcher's.
import { availableParallelism } from "node:os";
import type { Executor, ExecutorCapacity, TaskOutcome, TaskSpec } from "./executor";
import { runTask } from "./task-runtime";

export interface InlineExecutorOptions {
  /** How many tasks may be in flight at once. Default: the number of cores. */
  readonly concurrency?: number;
}

export class InlineExecutor implements Executor {
  readonly name = "inline";
  readonly capacity: ExecutorCapacity;

  constructor(options: InlineExecutorOptions = {}) {
    const cpus = options.concurrency ?? availableParallelism();
    this.capacity = { cpus, memoryMB: Number.MAX_SAFE_INTEGER, gpus: 0 };
  }

  async submit(task: TaskSpec, signal: AbortSignal): Promise<TaskOutcome> {
    const startedAt = Date.now();
    const aborted = new Promise<never>((_, reject) => {
      if (signal.aborted) reject(signal.reason);
      signal.addEventListener("abort", () => reject(signal.reason), { once: true });
    });
    try {
      const output = await Promise.race([runTask(task), aborted]);
      return { ok: true, output, logs: [], startedAt, endedAt: Date.now() };
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      return { ok: false, error: taskError(error), logs: [], startedAt, endedAt: Date.now() };
    }
  }

  async close(): Promise<void> {}
}

export function taskError(error: unknown): { name: string; message: string; stack?: string } {
  if (!(error instanceof Error)) return { name: "Error", message: String(error) };
  return { name: error.name, message: error.message, ...(error.stack ? { stack: userFrames(error.stack) } : {}) };
}

/** The stack without the frames of Valence's task runtime below the user's function. */
function userFrames(stack: string): string {
  const lines = stack.split("\n");
  const ours = lines.findIndex((line) => /executors[\\/]task-runtime\.[jt]s/.test(line));
  return ours > 0 ? lines.slice(0, ours).join("\n") : stack;
}
