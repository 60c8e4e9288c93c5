// The executor's side of each BullMQ queue it sends tasks to: a Queue to add and remove jobs, and a
// QueueEvents that reads the queue's event stream from where it stood before our first job (so no
// job's completion is missed) and hands active/completed/failed/duplicated events on. Cleanup of
// finished jobs and their payload keys is batched, off the path of results.
import type { Queue, QueueEvents } from "bullmq";
import type { BullMQ, RedisClient, RedisHealth } from "./connection";
import type { ControlKeys, JobData, JobResult } from "./protocol";
import { announceQueue } from "./registry";

export interface QueueEventHandler {
  active(queue: string, jobId: string): void;
  completed(queue: string, jobId: string, returnvalue: unknown): void;
  failed(queue: string, jobId: string, reason: string): void;
  duplicated(queue: string, jobId: string): void;
}

export interface OpenQueue {
  readonly name: string;
  readonly queue: Queue<JobData, JobResult>;
  readonly events: QueueEvents;
}

/** Up to this many finished jobs are removed in one batch. */
const TRASH_BATCH = 500;

export class QueueSet {
  private readonly open = new Map<string, Promise<OpenQueue>>();
  private trash: Array<{ queue: string; jobId: string | undefined; refs: string[] }> = [];
  private trashTimer: NodeJS.Timeout | undefined;
  private emptying: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly bull: BullMQ,
    private readonly client: RedisClient,
    private readonly keys: ControlKeys,
    private readonly health: RedisHealth,
    private readonly handler: QueueEventHandler,
  ) {}

  /** The queue, opened (and, for a class queue, announced to workers) on first use. */
  get(name: string): Promise<OpenQueue> {
    let open = this.open.get(name);
    if (!open) {
      open = this.openQueue(name);
      this.open.set(name, open);
      open.catch(() => this.open.delete(name));
    }
    return open;
  }

  /** The open queue if it is already open (for lookups that must not create one). */
  async existing(name: string): Promise<OpenQueue | undefined> {
    return this.open.get(name);
  }

  /** Removes a finished job (when `jobId` is given) and deletes payload keys, soon, in a batch. */
  discard(queue: string, jobId: string | undefined, refs: string[]): void {
    if (jobId === undefined && !refs.length) return;
    this.trash.push({ queue, jobId, refs });
    if (this.trash.length >= TRASH_BATCH) this.empty();
    else this.trashTimer ??= setTimeout(() => this.empty(), 100);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.trashTimer);
    this.empty();
    await this.emptying;
    const open = await Promise.allSettled(this.open.values());
    await Promise.allSettled(
      open.flatMap((o) => (o.status === "fulfilled" ? [o.value.events.close(), o.value.queue.close()] : [])),
    );
  }

  private empty(): void {
    clearTimeout(this.trashTimer);
    this.trashTimer = undefined;
    const batch = this.trash;
    this.trash = [];
    if (!batch.length) return;
    const refs = batch.flatMap((t) => t.refs);
    this.emptying = this.emptying.then(async () => {
      const removals = batch.flatMap(({ queue, jobId }) => {
        const open = this.open.get(queue);
        return jobId !== undefined && open ? [open.then((o) => o.queue.remove(jobId))] : [];
      });
      if (refs.length) removals.push(this.client.del(...refs));
      // A job still locked (cancel not yet confirmed) stays: removeOnComplete/removeOnFail age it out.
      await Promise.allSettled(removals);
    });
  }

  private async openQueue(name: string): Promise<OpenQueue> {
    if (this.closed) throw new Error("the bullmq executor is closed");
    const { Queue, QueueEvents } = this.bull;
    const prefix = this.keys.prefix;
    const queue = new Queue<JobData, JobResult>(name, { connection: this.client, prefix });
    queue.on("error", (error) => this.health.report(error));
    // Read the event stream from its current end: every job added after this point reports here.
    const last = await this.client.xrevrange(`${prefix}:${name}:events`, "+", "-", "COUNT", 1);
    const lastEventId = last[0]?.[0] ?? "0-0";
    const events = new QueueEvents(name, { connection: this.client, prefix, lastEventId });
    events.on("error", (error) => this.health.report(error));
    const handler = this.handler;
    events.on("active", ({ jobId }) => handler.active(name, jobId));
    events.on("completed", ({ jobId, returnvalue }) => handler.completed(name, jobId, returnvalue));
    events.on("failed", ({ jobId, failedReason }) => handler.failed(name, jobId, failedReason));
    events.on("duplicated", ({ jobId }) => handler.duplicated(name, jobId));
    if (name !== this.keys.queue) await announceQueue(this.client, this.keys, name);
    return { name, queue, events };
  }
}
