// Running one BullMQ job on a `valence worker`: check that it is a Valence task (anything else is
// failed with the reason, never crashes the worker), fetch its inputs, run it through the local
// executor (worker threads: logs, memory limits, crash isolation, abort), and return its outcome in
// the queue's result format. Cancels from the dispatcher abort the task; a shutdown hands it back.
import { UnrecoverableError, WaitingError, type Job } from "bullmq";
import type { TaskOutcome, TaskSpec } from "../executors/executor";
import type { LocalExecutor } from "../executors/local";
import type { RedisClient } from "../executors/bullmq/connection";
import { getBytes, getText, INLINE_LIMIT, OUTPUT_TTL_SECONDS, putPayload } from "../executors/bullmq/payload";
import {
  CANCELLED_REASON,
  checkJobData,
  type ControlKeys,
  type JobResult,
  type WorkerIdentity,
} from "../executors/bullmq/protocol";
import { taskError } from "../executors/task-error";

/** The abort reason of a task handed back to the queue at shutdown. */
const HAND_BACK = Symbol("hand back");
/** Cancels are remembered this long, for a job that reaches its processor after its cancel did. */
const CANCEL_MEMORY_MS = 10 * 60_000;

export class JobRunner {
  private readonly running = new Map<string, AbortController>();
  private readonly cancels = new Map<string, number>();

  constructor(
    private readonly local: LocalExecutor,
    private readonly client: RedisClient,
    private readonly keys: ControlKeys,
    private readonly identity: WorkerIdentity,
    private readonly log: (line: string) => void,
  ) {}

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

  /** BullMQ's processor: the job's result, or a thrown error that fails the job with a clear reason. */
  async run(job: Job, token: string | undefined): Promise<JobResult> {
    const key = `${job.queueName}/${job.id}`;
    const data = checkJobData(job.data);
    if (typeof data === "string") {
      this.log(`rejected job ${job.id} (name "${job.name}") on queue ${job.queueName}: not a Valence task: ${data}`);
      throw new UnrecoverableError(`not a Valence task: ${data}`);
    }
    const where = `"${data.name}" (dispatch ${data.dispatchId}, node ${data.nodeId}, attempt ${data.attempt})`;
    if ((this.cancels.get(key) ?? 0) > Date.now()) {
      this.log(`cancelled ${where} before it started`);
      throw new UnrecoverableError(CANCELLED_REASON);
    }
    const controller = new AbortController();
    this.running.set(key, controller);
    const began = Date.now();
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
        task = {
          dispatchId,
          nodeId,
          attempt,
          name,
          electron: JSON.parse(electron),
          args,
          resources,
          ...(volume ? { volume } : {}),
        };
      } catch (error) {
        this.log(`rejected ${where}: its inputs could not be read: ${(error as Error).message}`);
        throw new UnrecoverableError(`its inputs could not be read: ${(error as Error).message}`);
      }
      let outcome: TaskOutcome;
      try {
        outcome = await this.local.submit(task, controller.signal);
      } catch (error) {
        const reason: unknown = controller.signal.aborted ? controller.signal.reason : undefined;
        if (reason === HAND_BACK) {
          await job.moveToWait(token);
          this.log(`handed back ${where} after ${Date.now() - began} ms (shutting down)`);
          throw new WaitingError();
        }
        if (reason !== undefined) {
          this.log(`cancelled ${where} after ${Date.now() - began} ms`);
          throw new UnrecoverableError(`${CANCELLED_REASON}: ${(reason as Error).message ?? String(reason)}`);
        }
        outcome = { ok: false, error: taskError(error), logs: [], startedAt: began, endedAt: Date.now() };
      }
      const ms = outcome.endedAt - outcome.startedAt;
      const status = outcome.ok ? "ok    " : "failed";
      this.log(
        `${status} ${where} in ${ms} ms${outcome.ok ? "" : `: ${outcome.error.name}: ${outcome.error.message}`}`,
      );
      return await this.encode(String(job.id), outcome);
    } finally {
      this.running.delete(key);
    }
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
