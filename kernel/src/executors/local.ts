// The local executor (the default): a pool of worker threads on the dispatcher's machine. Tasks run
// one per worker, start in submission order once their cpus and memory fit (never overcommitting),
// and reuse warm workers whose heap limit matches theirs. A crashed or out-of-memory worker fails only
// its task and is replaced; abort (cancel, timeout) terminates the worker and rejects the submit.
import type { ElectronSpec } from "../workflow/serialize";
import type { Executor, ExecutorCapacity, TaskError, TaskOutcome, TaskSpec } from "./executor";
import { localSizing, type LocalExecutorOptions, type LocalSizing } from "./local-options";
import { onAbort } from "./abort-listeners";
import { PooledWorker } from "./pooled-worker";
import { specKey } from "./task-runtime";

export type { LocalExecutorOptions } from "./local-options";

interface Waiting {
  readonly task: TaskSpec;
  readonly cpus: number;
  readonly memoryMB: number;
  readonly signal: AbortSignal;
  readonly resolve: (outcome: TaskOutcome) => void;
  readonly reject: (reason: unknown) => void;
  readonly unlisten: () => void;
}

export class LocalExecutor implements Executor {
  readonly name = "local";
  readonly capacity: ExecutorCapacity;
  private readonly sizing: LocalSizing;
  private freeCpus: number;
  private freeMemoryMB: number;
  private readonly waiting: Waiting[] = [];
  /** Warm workers, least recently used first. */
  private readonly idle: PooledWorker[] = [];
  private readonly busy = new Set<PooledWorker>();
  private closed = false;

  constructor(options: LocalExecutorOptions = {}) {
    this.sizing = localSizing(options);
    this.capacity = { cpus: this.sizing.maxWorkers, memoryMB: this.sizing.memoryMB, gpus: 0 };
    this.freeCpus = this.capacity.cpus;
    this.freeMemoryMB = this.capacity.memoryMB;
  }

  /** Milliseconds each live worker took to start (spawn to modules loaded), for diagnostics. */
  workerStartupMs(): number[] {
    return [...this.idle, ...this.busy].flatMap((w) => (w.startupMs === undefined ? [] : [w.startupMs]));
  }

  submit(task: TaskSpec, signal: AbortSignal): Promise<TaskOutcome> {
    if (this.closed) return Promise.reject(new Error("the local executor is closed"));
    if (signal.aborted) return Promise.reject(signal.reason);
    const cpus = task.resources.cpus;
    const memoryMB = task.resources.memoryMB ?? this.sizing.defaultTaskMemoryMB;
    const impossible = this.impossible(task, cpus, memoryMB);
    if (impossible) {
      const now = Date.now();
      return Promise.resolve({ ok: false, error: impossible, logs: [], startedAt: now, endedAt: now });
    }
    return new Promise<TaskOutcome>((resolve, reject) => {
      const unlisten = onAbort(signal, () => {
        const at = this.waiting.indexOf(entry);
        if (at >= 0) this.waiting.splice(at, 1);
        reject(signal.reason);
      });
      const entry: Waiting = { task, cpus, memoryMB: Math.ceil(memoryMB), signal, resolve, reject, unlisten };
      this.waiting.push(entry);
      this.drain();
    });
  }

  /** Terminates every worker; running and queued submits reject. */
  async close(): Promise<void> {
    this.closed = true;
    const reason = new Error("the local executor was closed");
    for (const entry of this.waiting.splice(0)) {
      entry.unlisten();
      entry.reject(reason);
    }
    const all = [...this.busy, ...this.idle.splice(0)];
    await Promise.all(all.map((worker) => worker.stop(reason)));
  }

  private impossible(task: TaskSpec, cpus: number, memoryMB: number): TaskError | undefined {
    const who = `electron "${task.name}"`;
    if (!(cpus > 0) || cpus > this.capacity.cpus) {
      return {
        name: "ResourceError",
        message: `${who} needs ${cpus} CPUs but the local executor has ${this.capacity.cpus}`,
      };
    }
    if (!(memoryMB > 0) || memoryMB > this.capacity.memoryMB) {
      return {
        name: "ResourceError",
        message: `${who} needs ${memoryMB} MB but the local executor has ${this.capacity.memoryMB} MB`,
      };
    }
    if ((task.resources.gpus ?? 0) > 0) {
      return { name: "ResourceError", message: `${who} needs GPUs but the local executor has none` };
    }
    return undefined;
  }

  /** Starts waiting tasks in order while the first one fits. */
  private drain(): void {
    while (!this.closed) {
      const next = this.waiting[0];
      if (!next || next.cpus > this.freeCpus || next.memoryMB > this.freeMemoryMB) return;
      this.waiting.shift();
      next.unlisten();
      this.start(next);
    }
  }

  private start(entry: Waiting): void {
    const { task, cpus, memoryMB, signal } = entry;
    this.freeCpus -= cpus;
    this.freeMemoryMB -= memoryMB;
    const release = (): void => {
      this.freeCpus += cpus;
      this.freeMemoryMB += memoryMB;
    };
    let worker: PooledWorker;
    let running: Promise<TaskOutcome>;
    try {
      const key = specKey(task.electron);
      worker = this.take(memoryMB);
      running = worker.run(task, key, task.electron as ElectronSpec);
    } catch (error) {
      release();
      entry.reject(error);
      return;
    }
    const unlisten = onAbort(signal, () => void worker.stop(signal.reason));
    running
      .finally(() => {
        unlisten();
        this.busy.delete(worker);
        release();
        if (!worker.dead) this.giveBack(worker);
        this.drain();
      })
      .then(entry.resolve, entry.reject);
  }

  /** A warm worker with this heap limit, else a new one (retiring the oldest idle worker if needed). */
  private take(limitMB: number): PooledWorker {
    const at = this.idle.findLastIndex((w) => w.limitMB === limitMB);
    let worker = at >= 0 ? this.idle.splice(at, 1)[0] : undefined;
    if (!worker) {
      if (this.idle.length + this.busy.size >= this.sizing.maxWorkers) void this.idle.shift()?.stop(undefined);
      worker = new PooledWorker(limitMB, (dead) => this.forget(dead));
    }
    this.busy.add(worker);
    return worker;
  }

  private giveBack(worker: PooledWorker): void {
    if (this.closed || this.idle.length >= this.sizing.maxWorkers) {
      void worker.stop(undefined);
      return;
    }
    worker.idle();
    this.idle.push(worker);
  }

  /** A worker exited (crash, abort, retirement): it leaves the pool; the next task spawns a fresh one. */
  private forget(worker: PooledWorker): void {
    this.busy.delete(worker);
    const at = this.idle.indexOf(worker);
    if (at >= 0) this.idle.splice(at, 1);
  }
}
