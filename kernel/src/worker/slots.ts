// How many jobs one BullMQ Worker of `valence worker` takes at once. BullMQ's fetch loop, when it has
// a free slot, asks Redis for another job right after each one it gets — and only then runs the job
// it got: one more round trip per job, spent for nothing when tasks come one at a time (a chain of
// dependent tasks, where the next one is ready only once this one is done). So a consumer takes one
// job at a time while one job at a time is what comes, and opens all its slots as soon as more may
// be waiting: when a job came with the completion of the previous one (a backlog), or when its job
// has run for RAISE_MS (a long task; another may come meanwhile). Back to one once the queue was
// found empty and none runs.
//
// While a backlog lasts and its tasks are short (each ran under SHORT_MS), a consumer of 1-CPU tasks
// takes PREFETCH times its slots: the local executor then hands each task thread several tasks in
// one message, rather than a message (and a thread wake-up, which costs CPU on a busy machine) each
// way per task. A task that ran longer ends that (back to its slots). And while it holds more jobs
// than slots, no task finishing for LONG_MS means a long one holds the others up: those whose task
// has not started go back to the queue (`makeWay`), for workers that are free.
import type { Job, Worker } from "bullmq";

/** A job running this long opens every slot. */
const RAISE_MS = 5;
/** Tasks that ran under this (ms, as workers measure them) are short. */
const SHORT_MS = 2;
/** Jobs taken per slot while a backlog of short tasks lasts. */
export const PREFETCH = 4;
/** No task finishing for this long, while prefetching, means a long one: back to the slots. */
const LONG_MS = 20;

interface FetchLoop {
  /** BullMQ's fetch loop waits on this queue; a resolved promise added to it makes it look again. */
  mainLoopQueue?: { add(promise: Promise<unknown>): void } | null;
}

/** How long a job's task ran (ms), from what the processor returned, when it says. */
type RanMs = (value: unknown) => number | undefined;

export class Slots {
  private readonly running = new Set<Job>();
  private timer: NodeJS.Timeout | undefined;
  /** While prefetching: fires when no task has finished for LONG_MS. */
  private long: NodeJS.Timeout | undefined;
  /** A job's outcome was recorded in this turn of the event loop. */
  private justFinished = false;
  /** The last fetch found the queue empty. */
  private drained = false;
  /** The last task that finished was short. */
  private short = false;
  /** Jobs taken at most: the slots, times PREFETCH for a consumer of short tasks that may prefetch. */
  private readonly top: number;

  private consumer: Worker | undefined;

  /**
   * @param max the consumer's slots.
   * @param prefetch how many times its slots it may take while its tasks are short (1: never more).
   * @param ranMs how long a job's task ran, from the processor's result.
   * @param makeWay hands the jobs taken whose task has not started back to the queue; says how many.
   */
  constructor(
    private readonly max: number,
    prefetch = 1,
    private readonly ranMs: RanMs = () => undefined,
    private readonly makeWay: () => number = () => 0,
  ) {
    this.top = max * Math.max(1, prefetch);
  }

  /** Manages `consumer`, which must have been created with concurrency 1. */
  attach(consumer: Worker): void {
    this.consumer = consumer;
    if (this.top <= 1) return;
    consumer.on("active", (job) => this.fetched(job));
    const finished = (job: Job | undefined): void => {
      if (job) this.done(job); // also for a job BullMQ failed without running it
      if (this.justFinished) return;
      this.justFinished = true;
      setImmediate(() => (this.justFinished = false));
    };
    consumer.on("completed", finished);
    consumer.on("failed", finished);
    consumer.on("drained", () => {
      this.drained = true;
      if (!this.running.size) this.lower();
    });
  }

  /** The processor's result, noted when it settles (with how long its task ran). */
  track<T>(job: Job, result: Promise<T>): Promise<T> {
    if (this.top <= 1) return result;
    result.then(
      (value) => this.ran(job, this.ranMs(value)),
      () => this.ran(job, undefined),
    );
    return result;
  }

  private fetched(job: Job): void {
    this.running.add(job);
    this.drained = false;
    // More jobs here than slots (prefetched, or a fetch under way when the slots were lowered).
    if (this.running.size > this.max) this.watchLong();
    const concurrency = this.consumer!.concurrency;
    if (concurrency >= this.top) return;
    // BullMQ hands over the next job with the completion of the previous one only if it was waiting.
    if (this.justFinished) return this.raise(this.short ? this.top : this.max);
    if (concurrency >= this.max) return;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      if (this.running.size) this.raise(this.max);
    }, RAISE_MS);
  }

  private ran(job: Job, ms: number | undefined): void {
    this.short = ms !== undefined && ms < SHORT_MS;
    this.long?.refresh();
    this.done(job);
    // Not short: take no more than the slots (those taken wait a little; LONG_MS hands them back).
    if (!this.short && this.consumer && this.consumer.concurrency > this.max) this.settleAt(this.max);
  }

  /**
   * No task finished for LONG_MS since jobs were prefetched: a long one holds the others back. Looks
   * again while it hands some back: a fetch already under way may take one of them back here.
   */
  private longTask(): void {
    this.short = false;
    this.settleAt(Math.min(this.max, this.consumer!.concurrency));
    if (this.makeWay() > 0) this.watchLong();
  }

  private watchLong(): void {
    this.long ??= setTimeout(() => {
      this.long = undefined;
      this.longTask();
    }, LONG_MS);
  }

  private done(job: Job): void {
    this.running.delete(job);
    if (this.running.size) return;
    // Nothing taken is left to hand back.
    clearTimeout(this.long);
    this.long = undefined;
    if (this.drained) this.lower();
  }

  private lower(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.settleAt(1);
  }

  /** Takes at most `concurrency` jobs from now on (lowering never stops a job already taken). */
  private settleAt(concurrency: number): void {
    if (this.consumer && this.consumer.concurrency !== concurrency) this.consumer.concurrency = concurrency;
  }

  private raise(concurrency: number): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.consumer) return;
    this.settleAt(concurrency);
    // The loop may be waiting for the running job only: let it fetch for the slots just opened.
    (this.consumer as unknown as FetchLoop).mainLoopQueue?.add(Promise.resolve());
  }
}
