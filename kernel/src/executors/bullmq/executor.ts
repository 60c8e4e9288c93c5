// The BullMQ executor: each submitted task becomes a BullMQ job (id `dispatch:node:attempt`) in the
// queue of its routing class (routing.ts), run by `valence worker` processes on any machine; its
// outcome comes back on the results channel (and BullMQ's event stream, see queues.ts), and stays
// in Redis as the job's return value until taken. A task no live worker can run waits, with a reason
// (`waiting()`), until one connects or `waitTimeoutMs` passes. Cancel removes a waiting job or asks
// the workers, on the control channel, to stop a running one. Nothing connects until the first
// submit, and a lost Redis is retried forever: tasks wait, the dispatcher goes on.
import { onAbort } from "../abort-listeners";
import type { Executor, ExecutorCapacity, SubmitOptions, TaskOutcome, TaskSpec } from "../executor";
import { batchWrites, bullmq, createClient, RedisHealth, type RedisClient } from "./connection";
import { redactUrl, resolveOptions, type BullMQExecutorOptions, type ResolvedOptions } from "./options";
import { INPUT_TTL_SECONDS, OUTPUT_TTL_SECONDS, putPayload, refsOf } from "./payload";
import { Entry, resultRefs, within, type State, type WaitingTask } from "./entry";
import { ControlKeys, jobIdOf, type JobData } from "./protocol";
import { QueueSet, type QueueEventHandler } from "./queues";
import { liveWorkers, publishControl } from "./registry";
import { decodeResult, failedOutcome, notQueuedOutcome } from "./results";
import { needsOf, queueFor } from "./routing";
import { WaitingRoom } from "./waiting-room";

export type { WaitingTask } from "./entry";

export interface BullMQExecutorSettings {
  /** Where log lines go (lost Redis, tasks waiting for a worker). Default: console.error. */
  readonly log?: (line: string) => void;
  /** The executor's configured name, for messages. Default "bullmq". */
  readonly label?: string;
}

/** How long a cancelled running task may take to confirm it stopped before the submit rejects anyway. */
const CANCEL_CONFIRM_MS = 3_000;
/** Jobs not heard of for this long are looked up (an event missed while reconnecting). */
const RECONCILE_MS = 5_000;
const RECONCILE_BATCH = 200;
/** Tasks routed and enqueued together (see routeSome). */
const ROUTE_CHUNK = 32;
/** How often the executor considers reading the queues' event streams (see readStreams). */
const STREAM_READ_MS = 500;
const STREAM_QUIET_MS = 1_000;

export class BullMQExecutor implements Executor {
  readonly name = "bullmq";
  /** Workers come and go: the executor takes every ready task and routes it itself. */
  readonly capacity: ExecutorCapacity = { cpus: 100_000, memoryMB: Number.MAX_SAFE_INTEGER, gpus: 100_000 };
  /** Tasks are reported running when a worker takes them (`SubmitOptions.started`). */
  readonly lookahead = 1024;
  readonly options: ResolvedOptions;
  private readonly keys: ControlKeys;
  private readonly health: RedisHealth;
  private readonly log: (line: string) => void;
  private readonly label: string;
  private link: { client: RedisClient; queues: QueueSet } | undefined;
  private readonly entries = new Map<string, Entry>();
  /** Submitted tasks not routed yet (see routeSome). */
  private toRoute: Entry[] = [];
  private readonly room: WaitingRoom;
  private reconcileTimer: NodeJS.Timeout | undefined;
  private streamTimer: NodeJS.Timeout | undefined;
  /** The streams were read last time: read once more after that need ends, to catch up. */
  private streamWanted = false;
  private readonly specTexts = new WeakMap<object, string>();
  private closed = false;

  constructor(options: BullMQExecutorOptions = {}, settings: BullMQExecutorSettings = {}) {
    this.label = settings.label ?? "bullmq";
    this.options = resolveOptions({ ...options } as Record<string, unknown>, this.label);
    this.keys = new ControlKeys(this.options.prefix, this.options.queue);
    this.log = settings.log ?? ((line) => console.error(line));
    const who = `valence executor "${this.label}": `;
    // Back from a lost Redis (perhaps restarted empty): look up every queued job now, not in 5 s.
    this.health = new RedisHealth(this.options.redis, who, this.log, () => this.reconcile(0));
    this.room = new WaitingRoom(
      this.options.queue,
      () => liveWorkers(this.connect().client, this.keys),
      (entry) => this.enqueue(entry).catch((error: unknown) => this.failWith(entry, error)),
      (line) => this.log(who + line),
      {
        timeoutMs: this.options.waitTimeoutMs,
        expire: (entry, outcome) => this.finish(entry, () => entry.resolve(outcome)),
      },
    );
  }

  submit(task: TaskSpec, signal: AbortSignal, options: SubmitOptions = {}): Promise<TaskOutcome> {
    if (this.closed) return Promise.reject(new Error(`the bullmq executor "${this.label}" is closed`));
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<TaskOutcome>((resolve, reject) => {
      const needs = needsOf(task.resources);
      const jobId = jobIdOf(task);
      if (this.entries.has(jobId)) {
        reject(new Error(`internal: task ${jobId} was submitted to the bullmq executor twice`));
        return;
      }
      const entry = new Entry(
        task,
        jobId,
        queueFor(this.options.queue, needs),
        needs,
        options.started,
        resolve,
        reject,
      );
      entry.onWaiting = options.waiting;
      this.entries.set(jobId, entry);
      entry.unlisten = onAbort(signal, () => this.abort(entry, signal.reason));
      this.toRoute.push(entry);
      if (this.toRoute.length === 1) queueMicrotask(() => this.routeSome());
    });
  }

  /**
   * Routes and enqueues submitted tasks ROUTE_CHUNK at a time, giving the event loop a turn between
   * chunks: the first jobs of a big fan-out are in Redis, and running, while the next are prepared.
   */
  private routeSome(): void {
    const chunk = this.toRoute.splice(0, ROUTE_CHUNK);
    for (const entry of chunk) if (entry.state === "routing") void this.route(entry);
    if (this.toRoute.length) setImmediate(() => this.routeSome());
  }

  /**
   * Tasks that wait for a worker that can run them (or for Redis), with the reason: those held here
   * (never enqueued blindly), and those already queued whose capable workers have all gone since.
   */
  waiting(): WaitingTask[] {
    const waiting: WaitingTask[] = [];
    const unreachable = this.health.reachable ? undefined : `cannot reach Redis at ${redactUrl(this.options.redis)}`;
    const workers = this.room.known;
    for (const entry of this.entries.values()) {
      let reason: string | undefined;
      if (entry.state === "waiting") reason = entry.reason;
      else if (entry.state === "routing" || entry.state === "adding") reason = unreachable;
      else if (entry.state === "queued" && entry.activeAt === undefined && workers) {
        const none = this.room.reason(entry.needs, workers);
        if (none) reason = `queued in Redis, but ${none}`;
      }
      if (reason)
        waiting.push({ dispatchId: entry.task.dispatchId, nodeId: entry.task.nodeId, name: entry.task.name, reason });
    }
    return waiting;
  }

  /** Rejects pending submits. Jobs already in Redis go on: a dispatcher restarted later takes their results. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.room.close();
    clearInterval(this.reconcileTimer);
    clearInterval(this.streamTimer);
    const reason = new Error(`the bullmq executor "${this.label}" was closed`);
    for (const entry of [...this.entries.values()]) this.finish(entry, () => entry.reject(reason));
    const link = this.link;
    if (!link) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([link.queues.close(), new Promise((resolve) => (timer = setTimeout(resolve, 3000)))]);
    clearTimeout(timer);
    link.client.disconnect();
  }

  private connect(): { client: RedisClient; queues: QueueSet } {
    if (this.link) return this.link;
    const client = createClient(this.options.redis, `valence-dispatcher-${process.pid}`, this.health);
    const handler: QueueEventHandler = {
      active: (queue, jobId, started) => this.onActive(queue, jobId, Date.now(), started),
      completed: (queue, jobId, value) => void this.onCompleted(queue, jobId, value),
      failed: (queue, jobId, reason) => this.onFailed(queue, jobId, reason),
      duplicated: (queue, jobId) => void this.lookUp(this.mine(queue, jobId)),
    };
    const queues = new QueueSet(bullmq(), client, this.keys, this.health, handler, this.options.redis);
    this.link = { client, queues };
    this.reconcileTimer = setInterval(() => this.reconcile(), RECONCILE_MS).unref();
    this.streamTimer = setInterval(() => this.readStreams(queues), STREAM_READ_MS).unref();
    return this.link;
  }

  /**
   * The safety net beside the results channel: what BullMQ's event streams said meanwhile (a
   * duplicated add, a job failed by stalled-job recovery, a lost message), read once some job in
   * Redis has not been heard of for STREAM_QUIET_MS — not while results flow.
   */
  private readStreams(queues: QueueSet): void {
    const quiet = Date.now() - STREAM_QUIET_MS;
    let wanted = false;
    for (const entry of this.entries.values()) {
      if (entry.heardAt > quiet) continue;
      if (entry.state === "adding" || entry.state === "queued" || entry.state === "cancelling") {
        wanted = true;
        break;
      }
    }
    if (!wanted && !this.streamWanted) return;
    this.streamWanted = wanted;
    queues.readEvents().catch((error: unknown) => {
      if (!this.closed) this.health.report(error);
    });
  }

  private async route(entry: Entry): Promise<void> {
    try {
      if (this.closed) return;
      const workers = await this.room.workers(1000);
      if (entry.state !== "routing") return;
      const reason = this.room.reason(entry.needs, workers);
      if (!reason) return await this.enqueue(entry);
      this.room.hold(entry, reason);
    } catch (error) {
      this.failWith(entry, error);
    }
  }

  private async enqueue(entry: Entry): Promise<void> {
    entry.state = "adding";
    const { client, queues } = this.connect();
    const { task, jobId } = entry;
    const open = await queues.get(entry.queue);
    const [electron, args] = await Promise.all([
      putPayload(client, this.keys.blob(jobId, "electron"), this.specText(task.electron), INPUT_TTL_SECONDS),
      putPayload(client, this.keys.blob(jobId, "args"), task.args, INPUT_TTL_SECONDS),
    ]);
    entry.inputRefs = refsOf(electron, args);
    const { dispatchId, nodeId, attempt, name, resources, volume } = task;
    const data: JobData = { valence: 1, dispatchId, nodeId, attempt, name, electron, args, resources };
    // Tasks that become ready together are added in one write.
    batchWrites(client);
    await open.queue.add(name, volume ? { ...data, volume } : data, {
      jobId,
      attempts: 1,
      // Taken results are removed at once (queues.ts); these ages only clean up after a lost dispatcher.
      removeOnComplete: { age: OUTPUT_TTL_SECONDS },
      removeOnFail: { age: INPUT_TTL_SECONDS },
    });
    entry.heardAt = Date.now();
    // Cancelled while Redis was too slow to answer: the job may still be waiting, so remove it.
    if ((entry.state as State) === "settled" && entry.cancel) queues.discard(entry.queue, jobId, []);
    if (entry.state !== "adding") return;
    if (entry.cancel) {
      entry.state = "cancelling";
      return this.cancelQueued(entry);
    }
    entry.state = "queued";
  }

  /** The entry a queue event is about, if it is one of ours still waiting for its job. */
  private mine(queue: string, jobId: string): Entry | undefined {
    const entry = this.entries.get(jobId);
    if (!entry || entry.queue !== queue) return undefined;
    if (entry.state !== "adding" && entry.state !== "queued" && entry.state !== "cancelling") return undefined;
    entry.heardAt = Date.now();
    return entry;
  }

  /**
   * A worker took the job (`started` false: it may still wait there for a task thread, or rebuild
   * the electron) or started its task. Only a start is reported: the timeout counts the task's run.
   */
  private onActive(queue: string, jobId: string, at: number, started: boolean): void {
    const entry = this.mine(queue, jobId);
    if (!entry || entry.cancel) return;
    entry.activeAt ??= at;
    if (!started || entry.started) return;
    entry.started = true;
    entry.onStart?.(at);
  }

  private async onCompleted(queue: string, jobId: string, value: unknown): Promise<void> {
    const entry = this.mine(queue, jobId);
    if (!entry) return;
    if (entry.cancel) return this.cancelled(entry, resultRefs(value));
    entry.state = "finishing";
    const heardAt = Date.now();
    const queuedMs = entry.activeAt === undefined ? undefined : entry.activeAt - entry.submittedAt;
    const decoded = await decodeResult(this.connect().client, value, entry.task.name, queuedMs);
    const { refs } = decoded;
    let { outcome } = decoded;
    if (queuedMs === undefined && outcome.worker) {
      // A short task is reported only when done: it started its run's length before.
      const ran = Math.max(0, outcome.endedAt - outcome.startedAt);
      outcome = { ...outcome, queuedMs: Math.max(0, heardAt - ran - entry.submittedAt) };
    }
    if (entry.state !== "finishing") return this.connect().queues.discard(queue, undefined, refs);
    this.finish(entry, () => entry.resolve(outcome), true, refs);
  }

  private onFailed(queue: string, jobId: string, reason: string): void {
    const entry = this.mine(queue, jobId);
    if (!entry) return;
    if (entry.cancel) return this.cancelled(entry);
    const outcome = failedOutcome(entry.task.name, reason);
    this.finish(entry, () => entry.resolve(outcome), true);
  }

  /** Looks the job up (after a duplicate add, or when no event came for a while) and acts on its state. */
  private async lookUp(entry: Entry | undefined): Promise<void> {
    if (!entry) return;
    try {
      const open = await this.connect().queues.get(entry.queue);
      const job = await open.queue.getJob(entry.jobId);
      const state = job ? await job.getState() : "unknown";
      const { queue, jobId } = entry;
      if (!job || state === "unknown") {
        if (entry.state !== "queued" || entry !== this.entries.get(jobId)) return;
        this.log(
          `valence executor "${this.label}": job ${jobId} vanished from Redis (a restart without persistence?); enqueuing it again`,
        );
        return await this.enqueue(entry);
      }
      if (state === "completed") return await this.onCompleted(queue, jobId, job.returnvalue);
      if (state === "failed") return this.onFailed(queue, jobId, job.failedReason);
      if (state === "active") this.onActive(queue, jobId, job.processedOn ?? Date.now(), false);
    } catch (error) {
      if (entry.state !== "settled") this.health.report(error);
    }
  }

  /** Looks up queued jobs not heard of for `quietMs` (a batch of them). */
  private reconcile(quietMs = RECONCILE_MS): void {
    if (!this.entries.size) return;
    this.room.workers(RECONCILE_MS).catch(() => undefined);
    const stale = Date.now() - quietMs;
    let count = 0;
    for (const entry of this.entries.values()) {
      if (count >= RECONCILE_BATCH) break;
      if (entry.state !== "queued" || entry.heardAt > stale) continue;
      entry.heardAt = Date.now();
      count++;
      void this.lookUp(entry);
    }
  }

  private abort(entry: Entry, reason: unknown): void {
    if (entry.state === "settled" || entry.cancel) return;
    entry.cancel = { reason };
    if (entry.state === "routing" || entry.state === "waiting") return this.finish(entry, () => entry.reject(reason));
    if (entry.state === "finishing") return this.cancelled(entry);
    if (entry.state === "queued") {
      entry.state = "cancelling";
      void this.cancelQueued(entry);
    }
    // "adding": enqueue() cancels once the job is in — or, if Redis does not answer, this does.
    if (entry.state === "adding") entry.cancelTimer = setTimeout(() => this.cancelled(entry), CANCEL_CONFIRM_MS);
  }

  /** A job in the queue: removed if no worker has it yet, else the workers are asked to stop it. */
  private async cancelQueued(entry: Entry): Promise<void> {
    const { client, queues } = this.connect();
    const reason = entry.cancel!.reason;
    try {
      const open = await queues.get(entry.queue);
      const removed = await within(open.queue.remove(entry.jobId), 2000);
      if (entry.state !== "cancelling") return;
      if (removed === 1) return this.finish(entry, () => entry.reject(reason));
      const message = reason instanceof Error ? reason.message : String(reason);
      const control = { type: "cancel", queue: entry.queue, jobId: entry.jobId, reason: message } as const;
      await within(publishControl(client, this.keys, control), 2000);
      // The worker stops the task and fails the job: that event settles the submit (see onFailed).
      if (entry.state === "cancelling") entry.cancelTimer = setTimeout(() => this.cancelled(entry), CANCEL_CONFIRM_MS);
    } catch {
      if (entry.state === "cancelling") this.cancelled(entry);
    }
  }

  private cancelled(entry: Entry, refs: string[] = []): void {
    const reason = entry.cancel?.reason;
    this.finish(entry, () => entry.reject(reason), true, refs);
  }

  private failWith(entry: Entry, error: unknown): void {
    if (entry.state === "settled") return;
    if (entry.cancel) return this.cancelled(entry);
    const outcome = notQueuedOutcome(entry.task.name, error);
    this.finish(entry, () => entry.resolve(outcome), true);
  }

  /** Settles the entry once: forgets it, then discards its job (when `removeJob`) and payload keys. */
  private finish(entry: Entry, settle: () => void, removeJob = false, refs: string[] = []): void {
    if (entry.state === "settled") return;
    entry.state = "settled";
    entry.unlisten();
    clearTimeout(entry.cancelTimer);
    if (this.entries.get(entry.jobId) === entry) this.entries.delete(entry.jobId);
    this.room.drop(entry);
    if (this.link && !this.closed) {
      this.link.queues.discard(entry.queue, removeJob ? entry.jobId : undefined, [...entry.inputRefs, ...refs]);
    }
    settle();
  }

  private specText(electron: unknown): string {
    if (electron === null || typeof electron !== "object") return JSON.stringify(electron);
    let text = this.specTexts.get(electron);
    if (text === undefined) this.specTexts.set(electron, (text = JSON.stringify(electron)));
    return text;
  }
}
