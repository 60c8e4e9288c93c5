// The local executor (the default): a pool of worker threads on the dispatcher's machine. One task
// per worker at a time; a task's memory is enforced with the worker's resourceLimits; a crashed or
// out-of-memory worker fails only its task and is replaced; cancel and timeouts terminate the worker.
import { availableParallelism, totalmem } from "node:os";
import { join } from "node:path";
import { existsSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { Executor, ExecutorCapacity, TaskOutcome, TaskSpec } from "./executor";
import type { WorkerMessage } from "./local-worker";

export interface LocalExecutorOptions {
  /** CPUs the executor may use at once (its capacity). Default: the number of cores. */
  readonly cpus?: number;
  /** Memory the executor may hand out to tasks, in MiB. Default: 80% of the machine's memory. */
  readonly memoryMB?: number;
  /** Idle workers kept warm for the next task. Default: `cpus`. */
  readonly maxIdleWorkers?: number;
}

const WORKER = join(__dirname, "local-worker.js");
const REGISTER = join(__dirname, "..", "register.js");

export class LocalExecutor implements Executor {
  readonly name = "local";
  readonly capacity: ExecutorCapacity;
  private readonly idle = new Map<number, Worker[]>();
  private readonly busy = new Set<Worker>();
  private readonly maxIdle: number;
  private closed = false;
  // Each electron spec crosses to a worker once; later tasks name it by id.
  private readonly specIds = new WeakMap<object, number>();
  private readonly known = new WeakMap<Worker, Set<number>>();
  private nextSpecId = 0;

  constructor(options: LocalExecutorOptions = {}) {
    const cpus = options.cpus ?? availableParallelism();
    this.capacity = { cpus, memoryMB: options.memoryMB ?? Math.floor((totalmem() / 2 ** 20) * 0.8), gpus: 0 };
    this.maxIdle = options.maxIdleWorkers ?? cpus;
  }

  submit(task: TaskSpec, signal: AbortSignal): Promise<TaskOutcome> {
    if (this.closed) return Promise.reject(new Error("the local executor is closed"));
    if (signal.aborted) return Promise.reject(signal.reason);
    const limit = task.resources.memoryMB ?? 0;
    const worker = this.take(limit);
    const startedAt = Date.now();
    return new Promise<TaskOutcome>((resolve, reject) => {
      const settle = (): void => {
        worker.off("message", onMessage);
        worker.off("error", onError);
        worker.off("exit", onExit);
        signal.removeEventListener("abort", onAbort);
        this.busy.delete(worker);
      };
      const crashed = (message: string): void => {
        settle();
        void worker.terminate();
        resolve({ ok: false, error: { name: "WorkerCrashed", message }, logs: [], startedAt, endedAt: Date.now() });
      };
      const onMessage = (outcome: TaskOutcome): void => {
        settle();
        this.giveBack(limit, worker);
        resolve(outcome);
      };
      const onError = (error: Error & { code?: string }): void => {
        crashed(
          error.code === "ERR_WORKER_OUT_OF_MEMORY"
            ? `electron "${task.name}" ran out of memory (limit ${limit} MB)`
            : `electron "${task.name}" crashed its worker: ${error.message}`,
        );
      };
      const onExit = (code: number): void => crashed(`electron "${task.name}" ended its worker (exit code ${code})`);
      const onAbort = (): void => {
        settle();
        void worker.terminate();
        reject(signal.reason);
      };
      worker.on("message", onMessage);
      worker.once("error", onError);
      worker.once("exit", onExit);
      signal.addEventListener("abort", onAbort, { once: true });
      worker.postMessage(this.message(worker, task));
    });
  }

  private message(worker: Worker, task: TaskSpec): WorkerMessage {
    const spec = task.electron as object;
    let specId = this.specIds.get(spec);
    if (specId === undefined) this.specIds.set(spec, (specId = this.nextSpecId++));
    const known = this.known.get(worker) ?? new Set<number>();
    this.known.set(worker, known);
    const first = !known.has(specId);
    known.add(specId);
    return {
      task: { ...task, electron: null },
      specId,
      ...(first ? { spec: spec as WorkerMessage["spec"] & object } : {}),
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.busy, ...[...this.idle.values()].flat()];
    this.idle.clear();
    this.busy.clear();
    await Promise.all(all.map((w) => w.terminate()));
  }

  private take(limit: number): Worker {
    const worker = this.idle.get(limit)?.pop() ?? this.spawn(limit);
    worker.ref();
    this.busy.add(worker);
    return worker;
  }

  private giveBack(limit: number, worker: Worker): void {
    const list = this.idle.get(limit) ?? [];
    const idleCount = [...this.idle.values()].reduce((n, l) => n + l.length, 0);
    if (this.closed || idleCount >= this.maxIdle) {
      void worker.terminate();
      return;
    }
    worker.unref();
    list.push(worker);
    this.idle.set(limit, list);
  }

  private spawn(limit: number): Worker {
    return new Worker(WORKER, {
      // Valence's loader in the worker too: electrons may import the user's .ts modules.
      execArgv: existsSync(REGISTER) ? ["--import", pathToFileURL(REGISTER).href] : [],
      stdout: false,
      stderr: false,
      ...(limit > 0
        ? {
            resourceLimits: {
              maxOldGenerationSizeMb: limit,
              maxYoungGenerationSizeMb: Math.min(64, Math.max(4, limit / 8)),
            },
          }
        : {}),
    });
  }
}
