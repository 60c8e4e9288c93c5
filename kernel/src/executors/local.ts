// The local executor (the default): a pool of worker threads on the dispatcher's machine. Tasks start
// in submission order once their cpus and memory fit (never overcommitting), one running per worker,
// on warm workers whose heap limit matches theirs. Short tasks (an electron measured to take well
// under a millisecond) go to a worker several at a time, run there one after another, so a message
// round trip is not paid per task. A crashed or out-of-memory worker fails only its running task and
// is replaced; abort (cancel, timeout) of a running task terminates its worker and rejects the submit.
import type { ElectronSpec } from "../workflow/serialize";
import type { Executor, ExecutorCapacity, SubmitOptions, TaskError, TaskOutcome, TaskSpec } from "./executor";
import { localSizing, type LocalExecutorOptions, type LocalSizing } from "./local-options";
import { MAX_BATCH } from "./local-protocol";
import { onAbort } from "./abort-listeners";
import { spawnDelay, Speeds, type Busy } from "./local-pacing";
import { PooledWorker, type Job } from "./pooled-worker";
import { specKey } from "./task-runtime";

export type { LocalExecutorOptions } from "./local-options";

/** One submit: waiting here, then a job of a worker's batch. */
class Entry implements Job {
  unlisten: () => void = () => undefined;
  /** Where it runs, once handed to a worker: abort goes there. */
  worker: PooledWorker<Entry> | undefined;
  index = 0;

  constructor(
    readonly task: TaskSpec,
    readonly key: string,
    readonly cpus: number,
    readonly memoryMB: number,
    private readonly speeds: Speeds,
    private readonly onStart: ((at: number) => void) | undefined,
    private readonly settleResolve: (outcome: TaskOutcome) => void,
    private readonly settleReject: (reason: unknown) => void,
  ) {}

  get spec(): ElectronSpec {
    return this.task.electron as ElectronSpec;
  }

  started(at: number): void {
    this.onStart?.(at);
  }

  resolve(outcome: TaskOutcome, micros: number): void {
    this.unlisten();
    this.speeds.measured(this.key, micros);
    this.settleResolve(outcome);
  }

  reject(reason: unknown): void {
    this.unlisten();
    this.settleReject(reason);
  }
}

/** What a busy worker holds: its batch's reservation, given back when the batch ends. */
interface Reservation extends Busy {
  readonly cpus: number;
  readonly worker: PooledWorker<Entry>;
}

export class LocalExecutor implements Executor {
  readonly name = "local";
  readonly capacity: ExecutorCapacity;
  /** Up to this many CPUs' worth of tasks wait here beyond capacity, so workers never wait for the dispatcher. */
  readonly lookahead: number;
  private readonly sizing: LocalSizing;
  private freeCpus: number;
  private freeMemoryMB: number;
  private readonly waiting: Entry[] = [];
  /** Warm workers, least recently used first. */
  private readonly idle: Array<PooledWorker<Entry>> = [];
  private readonly busy = new Map<PooledWorker<Entry>, Reservation>();
  private readonly speeds = new Speeds();
  /** A drain waiting for a busy worker to free up (see local-pacing.ts). */
  private redrain: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(options: LocalExecutorOptions = {}) {
    this.sizing = localSizing(options);
    this.capacity = { cpus: this.sizing.maxWorkers, memoryMB: this.sizing.memoryMB, gpus: 0 };
    this.lookahead = this.sizing.maxWorkers * MAX_BATCH;
    this.freeCpus = this.capacity.cpus;
    this.freeMemoryMB = this.capacity.memoryMB;
  }

  /** Milliseconds each live worker took to start (spawn to modules loaded), for diagnostics. */
  workerStartupMs(): number[] {
    return [...this.idle, ...this.busy.keys()].flatMap((w) => (w.startupMs === undefined ? [] : [w.startupMs]));
  }

  submit(task: TaskSpec, signal: AbortSignal, options: SubmitOptions = {}): Promise<TaskOutcome> {
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
      const key = specKey(task.electron);
      const entry = new Entry(task, key, cpus, Math.ceil(memoryMB), this.speeds, options.started, resolve, reject);
      entry.unlisten = onAbort(signal, () => this.abort(entry, signal.reason));
      this.waiting.push(entry);
      this.drain();
    });
  }

  /** Terminates every worker; running and queued submits reject. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.redrain);
    const reason = new Error("the local executor was closed");
    for (const entry of this.waiting.splice(0)) {
      entry.unlisten();
      entry.reject(reason);
    }
    const all = [...this.busy.keys(), ...this.idle.splice(0)];
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

  private abort(entry: Entry, reason: unknown): void {
    if (entry.worker) return entry.worker.abort(entry.index, reason);
    const at = this.waiting.indexOf(entry);
    if (at >= 0) this.waiting.splice(at, 1);
    entry.reject(reason);
  }

  /** Starts waiting tasks in order while the first one fits: short ones several to a worker. */
  private drain(): void {
    while (!this.closed) {
      const next = this.waiting[0];
      if (!next || next.cpus > this.freeCpus || next.memoryMB > this.freeMemoryMB) return;
      if (!this.idle.some((w) => w.limitMB === next.memoryMB)) {
        const wait = spawnDelay(next.key, next.memoryMB, this.busy.values(), this.speeds, performance.now());
        if (wait > 0) return this.drainIn(wait);
      }
      let count = 1;
      const size = this.batchSize(next);
      while (count < size && count < this.waiting.length) {
        const other = this.waiting[count]!;
        if (other.memoryMB !== next.memoryMB || this.batchSize(other) === 1) break;
        count++;
      }
      this.start(this.waiting.splice(0, count));
    }
  }

  private drainIn(ms: number): void {
    if (this.redrain) return;
    this.redrain = setTimeout(() => {
      this.redrain = undefined;
      this.drain();
    }, Math.ceil(ms));
  }

  private batchSize(entry: Entry): number {
    return this.speeds.batchSize(entry.key, entry.cpus, this.waiting.length, this.freeCpus);
  }

  private start(entries: Entry[]): void {
    const { cpus, memoryMB, key } = entries[0]!;
    this.freeCpus -= cpus;
    this.freeMemoryMB -= memoryMB;
    let worker: PooledWorker<Entry>;
    try {
      worker = this.take(memoryMB);
    } catch (error) {
      this.freeCpus += cpus;
      this.freeMemoryMB += memoryMB;
      for (const entry of entries) entry.reject(error);
      return;
    }
    entries.forEach((entry, index) => {
      entry.worker = worker;
      entry.index = index;
    });
    const sentAt = performance.now();
    this.busy.set(worker, {
      worker,
      cpus,
      limitMB: memoryMB,
      key,
      sentAt,
      get readyAt() {
        return worker.readyAt;
      },
      get runningFor() {
        return worker.runningFor();
      },
    });
    worker.run(entries);
  }

  /** A warm worker with this heap limit, else a new one (retiring the oldest idle worker if needed). */
  private take(limitMB: number): PooledWorker<Entry> {
    const at = this.idle.findLastIndex((w) => w.limitMB === limitMB);
    let worker = at >= 0 ? this.idle.splice(at, 1)[0] : undefined;
    if (!worker) {
      if (this.idle.length + this.busy.size >= this.sizing.maxWorkers) void this.idle.shift()?.stop(undefined);
      worker = new PooledWorker<Entry>(
        limitMB,
        (done) => this.batchEnded(done),
        (dead, unstarted) => this.exited(dead, unstarted),
      );
    }
    return worker;
  }

  /** Every task of the worker's batch is reported: it is free again. */
  private batchEnded(worker: PooledWorker<Entry>): void {
    this.release(worker);
    if (this.closed || this.idle.length >= this.sizing.maxWorkers) void worker.stop(undefined);
    else {
      worker.idle();
      this.idle.push(worker);
    }
    this.drain();
  }

  /** A worker exited (crash, abort, retirement): it leaves the pool; tasks that never started wait again. */
  private exited(worker: PooledWorker<Entry>, unstarted: Entry[]): void {
    this.release(worker);
    const at = this.idle.indexOf(worker);
    if (at >= 0) this.idle.splice(at, 1);
    const back = unstarted;
    for (const entry of back) entry.worker = undefined;
    if (this.closed) for (const entry of back) entry.reject(new Error("the local executor was closed"));
    else this.waiting.unshift(...back);
    this.drain();
  }

  private release(worker: PooledWorker<Entry>): void {
    const reservation = this.busy.get(worker);
    if (!reservation) return;
    this.busy.delete(worker);
    this.freeCpus += reservation.cpus;
    this.freeMemoryMB += reservation.limitMB;
  }
}
