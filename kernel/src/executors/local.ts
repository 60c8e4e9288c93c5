// The local executor (the default): a pool of worker threads on the dispatcher's machine. Tasks start
// in submission order once their cpus and memory fit (never overcommitting), one running per worker,
// on warm workers whose heap limit matches theirs. Short tasks (an electron measured to take well
// under a millisecond) go to a worker several at a time, run there one after another, so a message
// round trip is not paid per task, and the next such batch waits queued behind the running one; a
// chain of dependent tasks (`submitChain`) goes as one batch too, each taking the previous one's
// output inside the worker. A crashed or out-of-memory worker fails only its running task and is
// replaced; abort (cancel, timeout) of a running task terminates its worker and rejects the submit.
// A worker reports short tasks' outcomes several at a time (local-outcomes.ts), sending what it holds
// about every millisecond: tasks whose outcomes die with a worker before it sent them run again.
import {
  NotRun,
  type Executor,
  type ExecutorCapacity,
  type FollowUp,
  type SubmitOptions,
  type TaskError,
  type TaskOutcome,
  type TaskSpec,
} from "./executor";
import { localSizing, type LocalExecutorOptions, type LocalSizing } from "./local-options";
import { MAX_BATCH } from "./local-protocol";
import { onAbort } from "./abort-listeners";
import { spawnDelay, Speeds, type Busy } from "./local-pacing";
import { Entry } from "./local-entry";
import { PooledWorker } from "./pooled-worker";
import { specKey } from "./task-runtime";

export type { LocalExecutorOptions } from "./local-options";

/** What a busy worker holds: its batch's reservation, given back when the batch ends. */
interface Reservation extends Busy {
  readonly cpus: number;
  readonly worker: PooledWorker<Entry>;
}

function notRun(why: string): Promise<TaskOutcome> {
  return Promise.reject(new NotRun(why));
}

export class LocalExecutor implements Executor {
  readonly name = "local";
  readonly capacity: ExecutorCapacity;
  /** Up to this many CPUs' worth of tasks wait here beyond capacity, so workers never wait for the dispatcher. */
  readonly lookahead: number;
  readonly maxFollowUps = MAX_BATCH - 1;
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
    // The usual case, without a chain's arrays and closures: a few objects less for every task.
    const cpus = task.resources.cpus;
    const memoryMB = task.resources.memoryMB ?? this.sizing.defaultTaskMemoryMB;
    const refusal = this.refusal(task, signal, cpus, memoryMB);
    if (refusal) return refusal;
    return new Promise<TaskOutcome>((resolve, reject) => {
      const entry = new Entry(
        task,
        undefined,
        specKey(task.electron),
        cpus,
        Math.ceil(memoryMB),
        this.speeds,
        options.started,
        resolve,
        reject,
      );
      entry.unlisten = onAbort(signal, () => this.abort(entry, signal.reason));
      this.waiting.push(entry);
      this.drain();
    });
  }

  submitChain(
    task: TaskSpec,
    signal: AbortSignal,
    options: SubmitOptions = {},
    followUps: readonly FollowUp[],
  ): Array<Promise<TaskOutcome>> {
    if (followUps.length > this.maxFollowUps)
      throw new RangeError(`a chain takes ${this.maxFollowUps} follow-ups at most`);
    const cpus = task.resources.cpus;
    const memoryMB = task.resources.memoryMB ?? this.sizing.defaultTaskMemoryMB;
    const refusal = this.refusal(task, signal, cpus, memoryMB);
    if (refusal) return [refusal, ...followUps.map(() => notRun("the task before it did not start"))];
    const entries: Entry[] = [];
    const promises: Array<Promise<TaskOutcome>> = [];
    // Follow-ups run in their first task's reservation, with its cpus and memory.
    const add = (
      spec: TaskSpec,
      inputAt: readonly number[] | undefined,
      on: AbortSignal,
      started?: (at: number) => void,
    ) =>
      new Promise<TaskOutcome>((resolve, reject) => {
        const entry = new Entry(
          spec,
          inputAt,
          specKey(spec.electron),
          cpus,
          Math.ceil(memoryMB),
          this.speeds,
          started,
          resolve,
          reject,
        );
        entry.unlisten = onAbort(on, () => this.abort(entry, on.reason));
        entries.push(entry);
      });
    promises.push(add(task, undefined, signal, options.started));
    let k = 0;
    for (; k < followUps.length && !followUps[k]!.signal.aborted; k++) {
      const { task: next, inputAt, signal: on, options: nextOptions } = followUps[k]!;
      promises.push(add(next, inputAt, on, nextOptions?.started));
    }
    // A follow-up aborted already does not run, nor can any after it (its output would be their input).
    if (k < followUps.length) promises.push(Promise.reject(followUps[k]!.signal.reason));
    for (k++; k < followUps.length; k++) promises.push(notRun("the task before it was aborted"));
    entries[0]!.links = entries.length - 1;
    this.waiting.push(...entries);
    this.drain();
    return promises;
  }

  /**
   * Takes back a submitted task that has not started, as if it had never been submitted: its submit
   * rejects with `reason`, and true. A task that started (or ended) is left alone: false.
   */
  withdraw(task: TaskSpec, reason: unknown): boolean {
    const entry = this.waiting.find((e) => e.task === task);
    if (entry) {
      this.abort(entry, reason);
      return true;
    }
    for (const worker of this.busy.keys()) if (worker.withdraw((job) => job.task === task, reason)) return true;
    return false;
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

  /** The submit's answer when the task cannot be taken (closed, aborted already, too big); else undefined. */
  private refusal(
    task: TaskSpec,
    signal: AbortSignal,
    cpus: number,
    memoryMB: number,
  ): Promise<TaskOutcome> | undefined {
    if (this.closed) return Promise.reject(new Error("the local executor is closed"));
    if (signal.aborted) return Promise.reject(signal.reason);
    const impossible = this.impossible(task, cpus, memoryMB);
    if (!impossible) return undefined;
    const now = Date.now();
    return Promise.resolve({ ok: false, error: impossible, logs: [], startedAt: now, endedAt: now });
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
    if (at < 0) return entry.reject(reason);
    // The follow-ups behind it lose their input: they leave with it.
    let end = at + 1;
    while (end < this.waiting.length && this.waiting[end]!.inputAt) end++;
    if (entry.inputAt) {
      let head = at - 1;
      while (this.waiting[head]!.inputAt) head--;
      this.waiting[head]!.links = at - head - 1;
    }
    const gone = this.waiting.splice(at, end - at);
    entry.reject(reason);
    for (const lost of gone.slice(1)) lost.reject(new NotRun(`"${entry.task.name}" before it was aborted`));
  }

  /**
   * Starts waiting tasks in order while the first one fits: short ones several to a worker. Short
   * ones that must wait are queued behind a busy worker's batch instead, so it goes on without a
   * round trip (they would have waited for a worker to be free anyway).
   */
  private drain(): void {
    while (!this.closed) {
      const next = this.waiting[0];
      if (!next) return;
      if (next.cpus > this.freeCpus || next.memoryMB > this.freeMemoryMB) return this.queueBehind(next);
      if (!this.idle.some((w) => w.limitMB === next.memoryMB)) {
        const wait = spawnDelay(next.key, next.memoryMB, this.busy.values(), this.speeds, performance.now());
        if (wait > 0) {
          this.drainIn(wait);
          return this.queueBehind(next);
        }
      }
      this.start(this.waiting.splice(0, this.batchCount(next)));
    }
  }

  /** How many waiting tasks from the first (`next`) go in one batch. */
  private batchCount(next: Entry): number {
    // A chain goes whole: its follow-ups need its first task's output.
    let count = 1 + next.links;
    const size = this.batchSize(next);
    while (count < size && count < this.waiting.length) {
      const other = this.waiting[count]!;
      if (other.memoryMB !== next.memoryMB || this.batchSize(other) === 1) break;
      if (count + 1 + other.links > MAX_BATCH) break;
      count += 1 + other.links;
    }
    return count;
  }

  /** Queues a batch of short 1-CPU tasks from `next` on behind a busy worker of their heap limit, if one has room. */
  private queueBehind(next: Entry): void {
    if (next.cpus !== 1 || this.batchSize(next) === 1) return;
    for (const [worker, reservation] of this.busy) {
      if (worker.hasQueued || worker.dead || worker.limitMB !== next.memoryMB || reservation.cpus !== 1) continue;
      const entries = this.waiting.splice(0, this.batchCount(next));
      for (const entry of entries) entry.worker = worker;
      const base = worker.run(entries);
      entries.forEach((entry, i) => (entry.index = base + i));
      return;
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
    for (const entry of entries) entry.worker = worker;
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
    const base = worker.run(entries);
    entries.forEach((entry, i) => (entry.index = base + i));
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
        (_, held) => this.takeBack(held),
      );
    }
    return worker;
  }

  /** Every task of the worker's batch is reported: it is free again, or goes on with the batch queued behind. */
  private batchEnded(worker: PooledWorker<Entry>): void {
    // Its reservation holds for the queued batch (the same cpus and heap limit); another may queue now.
    if (worker.busy) return this.drain();
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
    this.takeBack(unstarted);
  }

  /** Tasks a worker gave back without starting them wait again, first in line. */
  private takeBack(back: Entry[]): void {
    // Follow-ups never come back (pooled-worker.ts rejects them): a chain's first task goes alone.
    for (const entry of back) {
      entry.worker = undefined;
      entry.links = 0;
    }
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
