// How many jobs one BullMQ Worker of `valence worker` takes at once. BullMQ's fetch loop, when it has
// a free slot, asks Redis for another job right after each one it gets — and only then runs the job
// it got: one more round trip per job, spent for nothing when tasks come one at a time (a chain of
// dependent tasks, where the next one is ready only once this one is done). So a consumer takes one
// job at a time while one job at a time is what comes, and opens all its slots as soon as more may
// be waiting: when a job came with the completion of the previous one (a backlog), or when its job
// has run for RAISE_MS (a long task; another may come meanwhile). Back to one once the queue was
// found empty and none runs.
import type { Job, Worker } from "bullmq";

/** A job running this long opens every slot. */
const RAISE_MS = 5;

interface FetchLoop {
  /** BullMQ's fetch loop waits on this queue; a resolved promise added to it makes it look again. */
  mainLoopQueue?: { add(promise: Promise<unknown>): void } | null;
}

export class Slots {
  private readonly running = new Set<Job>();
  private timer: NodeJS.Timeout | undefined;
  /** A job's outcome was recorded in this turn of the event loop. */
  private justFinished = false;
  /** The last fetch found the queue empty. */
  private drained = false;

  private consumer: Worker | undefined;

  constructor(private readonly max: number) {}

  /** Manages `consumer`, which must have been created with concurrency 1. */
  attach(consumer: Worker): void {
    this.consumer = consumer;
    if (this.max <= 1) return;
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

  /** The processor's result, noted when it settles. */
  track<T>(job: Job, result: Promise<T>): Promise<T> {
    if (this.max <= 1) return result;
    const done = (): void => this.done(job);
    result.then(done, done);
    return result;
  }

  private fetched(job: Job): void {
    this.running.add(job);
    this.drained = false;
    if (this.consumer!.concurrency >= this.max) return;
    // BullMQ hands over the next job with the completion of the previous one only if it was waiting.
    if (this.justFinished) return this.raise();
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      if (this.running.size) this.raise();
    }, RAISE_MS);
  }

  private done(job: Job): void {
    this.running.delete(job);
    if (!this.running.size && this.drained) this.lower();
  }

  private lower(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.consumer && this.consumer.concurrency !== 1) this.consumer.concurrency = 1;
  }

  private raise(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.consumer) return;
    this.consumer.concurrency = this.max;
    // The loop may be waiting for the running job only: let it fetch for the slots just opened.
    (this.consumer as unknown as FetchLoop).mainLoopQueue?.add(Promise.resolve());
  }
}
