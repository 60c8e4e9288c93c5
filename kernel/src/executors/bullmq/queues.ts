// The executor's side of each BullMQ queue it sends tasks to: a Queue to add and remove jobs; the
// results channel, where workers publish each job's outcome as they hand it to BullMQ (the fast
// path: one message per job, no blocking read to re-issue after each event); and BullMQ's event
// stream of each queue, read without blocking every so often from where it stood before our first
// job (the safety net: a duplicated add after a restart, a job failed by stalled-job recovery, an
// outcome whose message was lost while reconnecting). Both hand active/completed/failed/duplicated
// events on. Cleanup of finished jobs and their payload keys is batched, off the path of results.
import type { Queue } from "bullmq";
import { batchWrites, createClient, type BullMQ, type RedisClient, type RedisHealth } from "./connection";
import { checkResultMessage, type ControlKeys, type JobData, type JobResult } from "./protocol";
import { announceQueue } from "./registry";

export interface QueueEventHandler {
  /**
   * `started`: the worker says the task's own code started (its notice on the results channel);
   * else BullMQ says a worker took the job.
   */
  active(queue: string, jobId: string, started: boolean): void;
  completed(queue: string, jobId: string, returnvalue: unknown): void;
  failed(queue: string, jobId: string, reason: string): void;
  duplicated(queue: string, jobId: string): void;
}

export interface OpenQueue {
  readonly name: string;
  readonly queue: Queue<JobData, JobResult>;
  /** The queue's event stream, and the id of the last entry read from it. */
  readonly events: string;
  lastId: string;
}

/** Up to this many finished jobs are removed in one batch. */
const TRASH_BATCH = 500;
/** Event stream entries read per command. */
const READ_BATCH = 1000;
/** A finished job still locked (its worker has yet to record the outcome it published) is removed again later. */
const REMOVE_RETRY_MS = 1000;
const REMOVE_TRIES = 5;
/**
 * Removes the listed jobs (ARGV[2…]) of a queue (key prefix ARGV[1]) that are completed or failed and
 * not locked, as BullMQ's removeJob does for jobs without parents, children or deduplication (ours),
 * in one command and without a "removed" event each; returns the ids it left (any other state).
 */
const REMOVE_FINISHED = `
local prefix = ARGV[1]
local kept = {}
for i = 2, #ARGV do
  local id = ARGV[i]
  local key = prefix .. id
  if redis.call("EXISTS", key .. ":lock") == 0
    and redis.call("ZREM", prefix .. "completed", id) + redis.call("ZREM", prefix .. "failed", id) > 0 then
    redis.call("DEL", key, key .. ":logs", key .. ":dependencies", key .. ":processed", key .. ":failed",
      key .. ":unsuccessful")
  elseif redis.call("EXISTS", key) == 1 then
    kept[#kept + 1] = id
  end
end
return kept`;

type RemovingClient = RedisClient & {
  valenceRemoveFinished(prefix: string, ...ids: string[]): Promise<string[]>;
};

export class QueueSet {
  private readonly open = new Map<string, Promise<OpenQueue>>();
  private trash: Array<{ queue: string; jobId: string | undefined; refs: string[]; tries: number }> = [];
  private trashTimer: NodeJS.Timeout | undefined;
  private emptying: Promise<void> = Promise.resolve();
  private reading: Promise<void> | undefined;
  private subscriber: RedisClient | undefined;
  private subscribed: Promise<unknown> | undefined;
  private closed = false;

  constructor(
    private readonly bull: BullMQ,
    private readonly client: RedisClient,
    private readonly keys: ControlKeys,
    private readonly health: RedisHealth,
    private readonly handler: QueueEventHandler,
    private readonly url: string,
  ) {
    if (!("valenceRemoveFinished" in client)) {
      client.defineCommand("valenceRemoveFinished", { numberOfKeys: 0, lua: REMOVE_FINISHED });
    }
  }

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
  discard(queue: string, jobId: string | undefined, refs: string[], tries = 0): void {
    if (this.closed && tries) return;
    if (jobId === undefined && !refs.length) return;
    this.trash.push({ queue, jobId, refs, tries });
    if (this.trash.length >= TRASH_BATCH) this.empty();
    else this.trashTimer ??= setTimeout(() => this.empty(), 100);
  }

  /**
   * Reads what the event streams of the open queues say since the last read (without blocking) and
   * hands it on; a read already under way is not doubled.
   */
  readEvents(): Promise<void> {
    this.reading ??= this.readAll().finally(() => (this.reading = undefined));
    return this.reading;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.trashTimer);
    this.empty();
    await this.emptying;
    this.subscriber?.disconnect();
    const open = await Promise.allSettled(this.open.values());
    await Promise.allSettled(open.flatMap((o) => (o.status === "fulfilled" ? [o.value.queue.close()] : [])));
  }

  private empty(): void {
    clearTimeout(this.trashTimer);
    this.trashTimer = undefined;
    const batch = this.trash;
    this.trash = [];
    if (!batch.length) return;
    const refs = batch.flatMap((t) => t.refs);
    const byQueue = new Map<string, Map<string, number>>();
    for (const { queue, jobId, tries } of batch) {
      if (jobId === undefined) continue;
      let jobs = byQueue.get(queue);
      if (!jobs) byQueue.set(queue, (jobs = new Map()));
      jobs.set(jobId, Math.max(tries, jobs.get(jobId) ?? 0));
    }
    this.emptying = this.emptying.then(async () => {
      batchWrites(this.client);
      const removals: Array<Promise<unknown>> = [...byQueue].map(([queue, jobs]) => this.remove(queue, jobs));
      if (refs.length) removals.push(this.client.del(...refs));
      await Promise.allSettled(removals);
    });
  }

  /**
   * Removes finished jobs of a queue: those completed or failed in one command (REMOVE_FINISHED),
   * any other through BullMQ (a job still waiting is removed; a locked one, whose worker has yet to
   * record the outcome it published, is tried again later; removeOnComplete/removeOnFail age out
   * what stays).
   */
  private async remove(name: string, jobs: Map<string, number>): Promise<void> {
    const open = await this.open.get(name);
    if (!open) return;
    const ids = [...jobs.keys()];
    const kept = await (this.client as RemovingClient).valenceRemoveFinished(`${this.keys.prefix}:${name}:`, ...ids);
    await Promise.allSettled(
      kept.map(async (jobId) => {
        const tries = jobs.get(jobId) ?? 0;
        if ((await open.queue.remove(jobId)) === 0 && tries < REMOVE_TRIES) {
          setTimeout(() => this.discard(name, jobId, [], tries + 1), REMOVE_RETRY_MS).unref();
        }
      }),
    );
  }

  /** Listens on the results channel (once), so that no outcome published after a job is added is missed. */
  private listen(): Promise<unknown> {
    if (this.subscribed) return this.subscribed;
    const subscriber = (this.subscriber = createClient(
      this.url,
      `valence-dispatcher-${process.pid}-results`,
      this.health,
    ));
    const handler = this.handler;
    subscriber.on("message", (_channel: string, text: string) => {
      const message = checkResultMessage(text);
      if (!message) return;
      if (message.type === "done") handler.completed(message.queue, message.jobId, message.result);
      else if (message.type === "failed") handler.failed(message.queue, message.jobId, message.reason);
      else handler.active(message.queue, message.jobId, true);
    });
    this.subscribed = subscriber.subscribe(this.keys.results);
    this.subscribed.catch(() => (this.subscribed = undefined));
    return this.subscribed;
  }

  private async readAll(): Promise<void> {
    for (const pending of [...this.open.values()]) {
      let open: OpenQueue;
      try {
        open = await pending;
      } catch {
        continue;
      }
      for (;;) {
        const read = await this.client.xread("COUNT", READ_BATCH, "STREAMS", open.events, open.lastId);
        const entries = read?.[0]?.[1] ?? [];
        for (const [id, fields] of entries) {
          open.lastId = id;
          this.dispatch(open.name, fields);
        }
        if (entries.length < READ_BATCH || this.closed) break;
      }
    }
  }

  /** One event stream entry (field, value, field, value…), handed on if it is one we act on. */
  private dispatch(queue: string, fields: string[]): void {
    let event: string | undefined;
    let jobId: string | undefined;
    let value: string | undefined;
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const field = fields[i];
      if (field === "event") event = fields[i + 1];
      else if (field === "jobId") jobId = fields[i + 1];
      else if (field === "returnvalue" || field === "failedReason") value = fields[i + 1];
    }
    if (jobId === undefined) return;
    if (event === "completed") {
      let returned: unknown;
      try {
        returned = JSON.parse(value ?? "null");
      } catch {
        returned = undefined;
      }
      this.handler.completed(queue, jobId, returned);
    } else if (event === "failed") this.handler.failed(queue, jobId, value ?? "");
    else if (event === "active") this.handler.active(queue, jobId, false);
    else if (event === "duplicated") this.handler.duplicated(queue, jobId);
  }

  private async openQueue(name: string): Promise<OpenQueue> {
    if (this.closed) throw new Error("the bullmq executor is closed");
    await this.listen();
    const { Queue } = this.bull;
    const prefix = this.keys.prefix;
    const queue = new Queue<JobData, JobResult>(name, { connection: this.client, prefix });
    queue.on("error", (error) => this.health.report(error));
    // Read the event stream from its current end: every job added after this point reports there.
    const events = `${prefix}:${name}:events`;
    const last = await this.client.xrevrange(events, "+", "-", "COUNT", 1);
    if (name !== this.keys.queue) await announceQueue(this.client, this.keys, name);
    return { name, queue, events, lastId: last[0]?.[0] ?? "0-0" };
  }
}
