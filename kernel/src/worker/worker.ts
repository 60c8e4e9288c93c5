// The `valence worker` process: registers itself in Redis (heartbeat), consumes the base queue and
// every class queue it can serve (routing.ts) with a BullMQ Worker each, runs jobs through a local
// executor sized by its options, stops jobs the dispatcher cancels, and shuts down cleanly: no new
// jobs, running ones finish (or go back to the queue after the grace period), unregister, exit.
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { Worker } from "bullmq";
import { LocalExecutor } from "../executors/local";
import { localSizing } from "../executors/local-options";
import { createClient, RedisHealth, type RedisClient } from "../executors/bullmq/connection";
import { redactUrl } from "../executors/bullmq/options";
import { checkControlMessage, ControlKeys, type WorkerRecord } from "../executors/bullmq/protocol";
import { announcedQueues, HEARTBEAT_MS, register, unregister } from "../executors/bullmq/registry";
import { canServe, needsOfQueue } from "../executors/bullmq/routing";
import { quietMarker } from "./marker";
import { JobRunner } from "./run-job";
import { PREFETCH, Slots } from "./slots";

export interface WorkerOptions {
  readonly redis: string;
  readonly queue: string;
  readonly prefix: string;
  /** Tasks run at once (default: cpus). */
  readonly concurrency?: number;
  /** CPUs declared and handed to tasks (default: the machine's). */
  readonly cpus?: number;
  /** Memory (MiB) declared and handed to tasks (default: the local executor's, from the machine's). */
  readonly memoryMB?: number;
  /** GPUs declared (default 0): GPU tasks come only to workers that declare enough. */
  readonly gpus?: number;
  /** How long a shutdown lets running tasks finish before handing them back (default 30 s). */
  readonly graceMs?: number;
  readonly log?: (line: string) => void;
}

/** Stalled-job recovery: a job whose worker died (lock not renewed) is back in the queue within ~3-5 s. */
const LOCK_DURATION_MS = 3_000;
const STALLED_INTERVAL_MS = 1_500;
const MAX_STALLED_COUNT = 2;

export class ValenceWorker {
  readonly record: WorkerRecord;
  private readonly keys: ControlKeys;
  private readonly local: LocalExecutor;
  private readonly health: RedisHealth;
  private readonly log: (line: string) => void;
  private readonly consumers = new Map<string, Worker>();
  private client: RedisClient | undefined;
  private subscriber: RedisClient | undefined;
  private runner: JobRunner | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private stopping: Promise<void> | undefined;
  private ignoredAt = 0;
  /** Jobs whose result Redis refused (see consumerError). */
  private readonly dropped = new Set<string>();

  constructor(private readonly options: WorkerOptions) {
    const cpus = options.cpus;
    const concurrency = options.concurrency ?? cpus;
    const sizing = localSizing({
      ...(cpus !== undefined || concurrency !== undefined ? { maxWorkers: Math.max(cpus ?? 1, concurrency ?? 1) } : {}),
      ...(options.memoryMB !== undefined ? { memoryMB: options.memoryMB } : {}),
    });
    this.local = new LocalExecutor({ maxWorkers: sizing.maxWorkers, memoryMB: sizing.memoryMB });
    const host = hostname();
    const id = `${host}-${process.pid}-${randomBytes(3).toString("hex")}`;
    this.record = {
      id,
      host,
      pid: process.pid,
      queue: options.queue,
      cpus: cpus ?? sizing.maxWorkers,
      memoryMB: sizing.memoryMB,
      gpus: options.gpus ?? 0,
      concurrency: concurrency ?? sizing.maxWorkers,
      startedAt: Date.now(),
      queues: [],
    };
    this.keys = new ControlKeys(options.prefix, options.queue);
    const prefix = `valence worker ${id}`;
    const print = options.log ?? stdoutLines();
    this.log = (line) => print(`${new Date().toISOString()} ${prefix}: ${line}`);
    this.health = new RedisHealth(options.redis, "", this.log);
  }

  async start(): Promise<void> {
    const client = (this.client = createClient(this.options.redis, `valence-worker-${process.pid}`, this.health));
    // Before any BullMQ Worker loads its own scripts on this connection.
    quietMarker(client);
    const { id, host, pid } = this.record;
    const runner = (this.runner = new JobRunner(this.local, client, this.keys, { id, host, pid }, this.log));
    const subscriber = (this.subscriber = client.duplicate());
    subscriber.on("error", (error: unknown) => this.health.report(error));
    subscriber.on("message", (_channel: string, text: string) => {
      const message = checkControlMessage(text);
      if (message?.type === "cancel") runner.cancel(message.queue, message.jobId, message.reason ?? "");
      else if (message?.type === "queue") this.consider(message.name);
      else this.ignored(text);
    });
    // Listening for cancels before taking any job, so none is missed.
    await subscriber.subscribe(this.keys.channel);
    this.consider(this.options.queue);
    await this.beat();
    if (this.stopping) return;
    this.heartbeat = setInterval(() => void this.beat(), HEARTBEAT_MS);
    const r = this.record;
    this.log(
      `ready: queue "${r.queue}" at ${redactUrl(this.options.redis)}; ${r.cpus} CPUs, ${r.memoryMB} MB, ${r.gpus} GPUs, ` +
        `concurrency ${r.concurrency} (host ${r.host}, pid ${r.pid})`,
    );
  }

  /**
   * Stops taking jobs and lets running ones finish; after the grace period (or at once when
   * `handBack` is called again through a second stop) they go back to the queue. Then unregisters.
   */
  stop(): Promise<void> {
    if (this.stopping) {
      this.log("handing running tasks back to the queue now");
      this.runner?.handBackAll();
      return this.stopping;
    }
    const graceMs = this.options.graceMs ?? 30_000;
    const active = this.runner?.active ?? 0;
    this.log(
      `stopping: no new jobs; ${active} running task(s) may finish within ${graceMs / 1000} s ` +
        `(interrupt again to hand them back now)`,
    );
    clearInterval(this.heartbeat);
    this.stopping = (async () => {
      const grace = setTimeout(() => {
        if (this.runner?.active) this.log(`grace period over: handing ${this.runner.active} task(s) back to the queue`);
        this.runner?.handBackAll();
      }, graceMs);
      await Promise.allSettled([...this.consumers.values()].map((consumer) => consumer.close()));
      clearTimeout(grace);
      if (this.client) await bounded(unregister(this.client, this.keys, this.record.id), 2000);
      await this.local.close();
      this.subscriber?.disconnect();
      if (this.client) await bounded(this.client.quit(), 1000);
      this.client?.disconnect();
      this.log("stopped");
    })();
    return this.stopping;
  }

  /** Starts consuming `name` if it is our base queue or a class queue this worker can serve. */
  private consider(name: string): void {
    if (this.stopping || this.consumers.has(name) || !this.client || !this.runner) return;
    const needs = needsOfQueue(this.options.queue, name);
    if (!needs || !canServe(this.record, needs)) return;
    const r = this.record;
    // A class queue gets as many slots as its tasks fit in what this worker declares.
    const concurrency = Math.max(
      1,
      Math.min(
        Math.floor(r.concurrency / needs.cpus),
        needs.memoryMB ? Math.floor(r.memoryMB / needs.memoryMB) : Infinity,
        needs.gpus ? Math.floor(r.gpus / needs.gpus) : Infinity,
      ),
    );
    const runner = this.runner;
    // Several short 1-CPU tasks can share a task thread's message; others gain nothing from waiting here.
    const prefetch = needs.cpus === 1 && needs.gpus === 0 ? PREFETCH : 1;
    const slots = new Slots(concurrency, prefetch, ranMs, () => runner.handBackUnstarted(name));
    const consumer = new Worker(name, (job, token) => slots.track(job, runner.run(job, token)), {
      connection: this.client,
      prefix: this.options.prefix,
      // One job at a time until more may be waiting (see Slots).
      concurrency: 1,
      name: r.id,
      lockDuration: LOCK_DURATION_MS,
      stalledInterval: STALLED_INTERVAL_MS,
      maxStalledCount: MAX_STALLED_COUNT,
    });
    slots.attach(consumer);
    consumer.on("error", (error) => this.consumerError(error));
    // Each job starts as soon as it is fetched (see JobRunner.begin).
    consumer.on("active", (job) => runner.begin(job));
    this.consumers.set(name, consumer);
    (this.record as { queues: readonly string[] }).queues = [...this.consumers.keys()];
    if (name !== this.options.queue) this.log(`now also consuming ${name} (concurrency ${concurrency})`);
  }

  /**
   * A BullMQ worker's error. Redis refusing a finished job's result (its lock was lost while this
   * worker could not reach Redis, and another worker took the job over; or the job was removed) is
   * said plainly: the result is dropped, the job's other run counts.
   */
  private consumerError(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    const late =
      /^(?:Missing key|Missing lock|Lock mismatch) for job (\S+)\. (?:Cmd )?moveTo(?:Finished|Completed|Failed)/.exec(
        message,
      );
    if (!late) return this.health.report(error);
    // BullMQ tries to fail the job after its completion was refused: one line per job.
    if (this.dropped.has(late[1]!)) return;
    if (this.dropped.size >= 100) this.dropped.delete(this.dropped.values().next().value!);
    this.dropped.add(late[1]!);
    this.log(
      `dropped the result of job ${late[1]}: the job is no longer this worker's (taken over by another worker ` +
        `while this one could not reach Redis, or removed) — BullMQ: ${message}`,
    );
  }

  /** A control message of another format (a newer dispatcher?) or a stranger: noted, at most once a minute. */
  private ignored(text: string): void {
    const now = Date.now();
    if (now - this.ignoredAt < 60_000) return;
    this.ignoredAt = now;
    this.log(`ignored a control message that is not ours (a newer or foreign dispatcher?): ${text.slice(0, 120)}`);
  }

  private async beat(): Promise<void> {
    if (!this.client || this.stopping) return;
    try {
      await register(this.client, this.keys, this.record);
      for (const name of await announcedQueues(this.client, this.keys)) this.consider(name);
    } catch (error) {
      this.health.report(error);
    }
  }
}

/** How long the task of a job ran (ms), from its result; undefined for a result stored in its own key. */
function ranMs(value: unknown): number | undefined {
  const { startedAt, endedAt } = (value ?? {}) as { startedAt?: unknown; endedAt?: unknown };
  return typeof startedAt === "number" && typeof endedAt === "number" ? endedAt - startedAt : undefined;
}

/**
 * Lines to stdout, written together once per turn of the event loop: a busy worker prints a line
 * per task, and one write per line cost it (and whoever reads its output) a system call each.
 */
function stdoutLines(): (line: string) => void {
  if (toStdout) return toStdout;
  let pending: string[] = [];
  const flush = (): void => {
    if (!pending.length) return;
    const text = pending.join("\n") + "\n";
    pending = [];
    process.stdout.write(text);
  };
  process.on("exit", flush);
  return (toStdout = (line) => {
    if (!pending.length) setImmediate(flush);
    pending.push(line);
  });
}
let toStdout: ((line: string) => void) | undefined;

async function bounded(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise.catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
