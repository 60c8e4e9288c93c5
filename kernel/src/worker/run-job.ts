// Running one BullMQ job on a `valence worker`: check that it is a Valence task (anything else is
// failed with the reason, never crashes the worker), fetch its inputs, run it through the local
// executor (worker threads: logs, memory limits, crash isolation, abort), and return its outcome in
// the queue's result format, published first on the results channel so the dispatcher has it at
// once. Cancels from the dispatcher abort the task; a shutdown hands it back.
import { UnrecoverableError, WaitingError, type Job } from "bullmq";
import type { TaskOutcome, TaskSpec } from "../executors/executor";
import type { LocalExecutor } from "../executors/local";
import { batchWrites, type RedisClient } from "../executors/bullmq/connection";
import { getBytes, getText, INLINE_LIMIT, OUTPUT_TTL_SECONDS, putPayload } from "../executors/bullmq/payload";
import {
  CANCELLED_REASON,
  checkElectronSpec,
  checkJobData,
  type ControlKeys,
  type JobResult,
  type ResultMessage,
  type WorkerIdentity,
} from "../executors/bullmq/protocol";
import { taskError } from "../executors/task-error";

/** The abort reason of a task handed back to the queue at shutdown. */
const HAND_BACK = Symbol("hand back");
/** Why a task that waited here behind a long one, and never started, is handed back (see Slots). */
const MAKE_WAY = Symbol("make way");

/** A job taken whose task has not started: how to take it back (its task, once read). */
interface Unstarted {
  readonly controller: AbortController;
  task: TaskSpec | undefined;
}
/** Cancels are remembered this long, for a job that reaches its processor after its cancel did. */
const CANCEL_MEMORY_MS = 10 * 60_000;
/** Parsed electron specs kept (by their text). */
const KEPT_SPECS = 64;
/** A task still running this long after it started is announced on the results channel. */
const ACTIVE_NOTICE_MS = 10;
/** Publishes a job's outcome (ARGV[3]) on ARGV[2] only while the job's lock (KEYS[1]) holds our token (ARGV[1]). */
const PUBLISH_IF_LOCKED =
  'if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("PUBLISH", ARGV[2], ARGV[3]) end return -1';

type ResultsClient = RedisClient & {
  valencePublishIfLocked(lock: string, token: string, channel: string, message: string): Promise<number>;
};

export class JobRunner {
  private readonly running = new Map<string, AbortController>();
  /** Running jobs whose task has not started yet (waiting for a task thread), by queue. */
  private readonly unstarted = new Map<string, Map<string, Unstarted>>();
  private readonly cancels = new Map<string, number>();
  /** Jobs started by `begin`, until their processor takes them (BullMQ drops a job it never processes). */
  private readonly begun = new WeakMap<Job, Promise<JobResult>>();
  /** Electron specs by their JSON text: the same spec object for every task of an electron. */
  private readonly specs = new Map<string, unknown>();

  constructor(
    private readonly local: LocalExecutor,
    private readonly client: RedisClient,
    private readonly keys: ControlKeys,
    private readonly identity: WorkerIdentity,
    private readonly log: (line: string) => void,
  ) {
    if (!("valencePublishIfLocked" in client)) {
      client.defineCommand("valencePublishIfLocked", { numberOfKeys: 1, lua: PUBLISH_IF_LOCKED });
    }
  }

  get active(): number {
    return this.running.size;
  }

  /** The dispatcher cancelled a job: stop it if it runs here, and skip it if it arrives later. */
  cancel(queue: string, jobId: string, reason: string): void {
    const key = `${queue}/${jobId}`;
    const now = Date.now();
    this.cancels.set(key, now + CANCEL_MEMORY_MS);
    for (const [old, until] of this.cancels) {
      if (until > now) break;
      this.cancels.delete(old);
    }
    this.running.get(key)?.abort(new Error(reason || CANCELLED_REASON));
  }

  /** Stops every running task and puts its job back in the queue for another worker. */
  handBackAll(): void {
    for (const controller of this.running.values()) controller.abort(HAND_BACK);
  }

  /** Puts the jobs of `queue` whose task has not started back in the queue, for workers that are free; how many. */
  handBackUnstarted(queue: string): number {
    let count = 0;
    for (const job of this.unstarted.get(queue)?.values() ?? []) {
      // Only a task that has not started goes back: one that has runs to its end here.
      if (job.task ? this.local.withdraw(job.task, MAKE_WAY) : (job.controller.abort(MAKE_WAY), true)) count++;
    }
    return count;
  }

  /**
   * Starts a job the moment BullMQ hands it over (its worker's "active" event), before BullMQ's fetch
   * loop gets to the processor: a worker with free slots first asks Redis for another job, and that
   * round trip no longer delays this one. The processor (`run`) then takes the running task over.
   */
  begin(job: Job): void {
    if (this.begun.has(job) || job.deferredFailure) return;
    const running = this.execute(job, job.token);
    running.catch(() => undefined); // the processor reports it
    this.begun.set(job, running);
  }

  /** BullMQ's processor: the job's result, or a thrown error that fails the job with a clear reason. */
  run(job: Job, token: string | undefined): Promise<JobResult> {
    const running = this.begun.get(job);
    if (!running) return this.execute(job, token);
    this.begun.delete(job);
    return running;
  }

  private async execute(job: Job, token: string | undefined): Promise<JobResult> {
    const key = `${job.queueName}/${job.id}`;
    const data = checkJobData(job.data);
    if (typeof data === "string") {
      this.log(`rejected job ${job.id} (name "${job.name}") on queue ${job.queueName}: not a Valence task: ${data}`);
      throw new UnrecoverableError(`not a Valence task: ${data}`);
    }
    const where = `"${data.name}" (dispatch ${data.dispatchId}, node ${data.nodeId}, attempt ${data.attempt})`;
    if ((this.cancels.get(key) ?? 0) > Date.now()) {
      this.log(`cancelled ${where} before it started`);
      throw this.failure(job, token, CANCELLED_REASON);
    }
    const controller = new AbortController();
    this.running.set(key, controller);
    const began = Date.now();
    const jobId = String(job.id);
    let notice: NodeJS.Timeout | undefined;
    let waiting = this.unstarted.get(job.queueName);
    if (!waiting) this.unstarted.set(job.queueName, (waiting = new Map()));
    const unstarted: Unstarted = { controller, task: undefined };
    waiting.set(key, unstarted);
    // From when the task starts, not when its job was taken: a job may wait for a task thread here.
    const started = (): void => {
      waiting.delete(key);
      notice = setTimeout(() => this.publish({ type: "active", queue: job.queueName, jobId }), ACTIVE_NOTICE_MS);
    };
    try {
      let task: TaskSpec;
      try {
        const [electron, args] = await Promise.all([
          getText(this.client, data.electron, "the electron spec"),
          getBytes(this.client, data.args, "the arguments"),
        ]);
        const { cpus, memoryMB } = data.resources;
        // GPUs were matched by routing; the local executor itself refuses tasks that ask for any.
        const resources = memoryMB === undefined ? { cpus } : { cpus, memoryMB };
        const { dispatchId, nodeId, attempt, name, volume } = data;
        const spec = this.spec(electron);
        task = {
          dispatchId,
          nodeId,
          attempt,
          name,
          electron: spec,
          args,
          resources,
          ...(volume ? { volume } : {}),
        };
      } catch (error) {
        this.log(`rejected ${where}: its inputs could not be read: ${(error as Error).message}`);
        throw this.failure(job, token, `its inputs could not be read: ${(error as Error).message}`);
      }
      let outcome: TaskOutcome;
      try {
        unstarted.task = task;
        outcome = await this.local.submit(task, controller.signal, { started });
      } catch (error) {
        const reason: unknown = controller.signal.aborted
          ? controller.signal.reason
          : error === MAKE_WAY
            ? error
            : undefined;
        if (reason === HAND_BACK || reason === MAKE_WAY) {
          await job.moveToWait(token);
          const why = reason === HAND_BACK ? "shutting down" : "it waited for a task thread behind a long task";
          this.log(`handed back ${where} after ${Date.now() - began} ms (${why})`);
          throw new WaitingError();
        }
        if (reason !== undefined) {
          this.log(`cancelled ${where} after ${Date.now() - began} ms`);
          throw this.failure(job, token, `${CANCELLED_REASON}: ${(reason as Error).message ?? String(reason)}`);
        }
        outcome = { ok: false, error: taskError(error), logs: [], startedAt: began, endedAt: Date.now() };
      }
      const ms = outcome.endedAt - outcome.startedAt;
      const status = outcome.ok ? "ok    " : "failed";
      this.log(
        `${status} ${where} in ${ms} ms${outcome.ok ? "" : `: ${outcome.error.name}: ${outcome.error.message}`}`,
      );
      const result = await this.encode(jobId, outcome);
      this.report(job, token, { type: "done", queue: job.queueName, jobId, result });
      return result;
    } finally {
      clearTimeout(notice);
      this.running.delete(key);
      waiting.delete(key);
    }
  }

  /** The error that fails a Valence task's job with `reason`, reported on the results channel first. */
  private failure(job: Job, token: string | undefined, reason: string): UnrecoverableError {
    this.report(job, token, { type: "failed", queue: job.queueName, jobId: String(job.id), reason });
    return new UnrecoverableError(reason);
  }

  /**
   * Publishes a job's outcome just before BullMQ records it (the next command on this connection),
   * if the job is still this worker's: a worker whose lock was lost (cut off while another worker
   * took the job over) publishes nothing, as Redis will refuse its outcome too.
   */
  private report(job: Job, token: string | undefined, message: ResultMessage): void {
    if (token === undefined) return;
    const lock = `${this.keys.prefix}:${job.queueName}:${String(job.id)}:lock`;
    // The message and BullMQ's completion of the job (issued next) leave in one write.
    batchWrites(this.client);
    (this.client as ResultsClient)
      .valencePublishIfLocked(lock, token, this.keys.results, JSON.stringify(message))
      .catch(() => undefined); // BullMQ's event stream carries the outcome too
  }

  private publish(message: ResultMessage): void {
    this.client.publish(this.keys.results, JSON.stringify(message)).catch(() => undefined);
  }

  /**
   * The spec of an electron from its JSON text, parsed and checked once: tasks of the same electron
   * share one spec object, which the local executor then recognizes without hashing it again.
   */
  private spec(text: string): unknown {
    let spec = this.specs.get(text);
    if (spec !== undefined) return spec;
    spec = JSON.parse(text) as unknown;
    const malformed = checkElectronSpec(spec);
    if (malformed) throw new Error(`the electron spec is not one this worker can run: ${malformed}`);
    if (text.length > INLINE_LIMIT) return spec; // a spec with much data captured: not kept
    if (this.specs.size >= KEPT_SPECS) this.specs.delete(this.specs.keys().next().value!);
    this.specs.set(text, spec);
    return spec;
  }

  private async encode(jobId: string, outcome: TaskOutcome): Promise<JobResult> {
    const { logs, startedAt, endedAt } = outcome;
    const worker = this.identity;
    let result: JobResult;
    if (outcome.ok) {
      const output = await putPayload(this.client, this.keys.blob(jobId, "output"), outcome.output, OUTPUT_TTL_SECONDS);
      result = { valence: 1, ok: true, output, logs, startedAt, endedAt, worker };
    } else {
      result = { valence: 1, ok: false, error: outcome.error, logs, startedAt, endedAt, worker };
    }
    // Logs and stacks are usually small: measure only when they might not be.
    let rough = 0;
    for (const line of logs) rough += line.text.length;
    if (!outcome.ok) rough += (outcome.error.stack?.length ?? 0) + outcome.error.message.length;
    if (rough * 3 < INLINE_LIMIT / 2) return result;
    const text = JSON.stringify(result);
    if (Buffer.byteLength(text) <= INLINE_LIMIT) return result;
    return {
      valence: 1,
      result: await putPayload(this.client, this.keys.blob(jobId, "result"), text, OUTPUT_TTL_SECONDS),
    };
  }
}
