// Turning what a worker returned for a job (or why the job failed) into the task's outcome, fetching
// large outputs from their keys; and the keys a finished job leaves behind for cleanup.
import type { TaskOutcome } from "../executor";
import { taskError } from "../task-error";
import type { RedisClient } from "./connection";
import { getBytes, getText, refsOf } from "./payload";
import { CANCELLED_REASON, checkJobResult, type JobResult } from "./protocol";

export interface Decoded {
  readonly outcome: TaskOutcome;
  /** Payload keys the result occupied, to delete now that it is taken. */
  readonly refs: string[];
}

/** The outcome a worker reported, with `queuedMs` when the executor saw the task start. */
export async function decodeResult(
  client: RedisClient,
  value: unknown,
  name: string,
  queuedMs: number | undefined,
): Promise<Decoded> {
  const refs: string[] = [];
  const now = Date.now();
  const broken = (message: string): Decoded => ({
    outcome: { ok: false, error: { name: "BullMQResultError", message }, logs: [], startedAt: now, endedAt: now },
    refs,
  });
  let result: JobResult | undefined = checkJobResult(value);
  if (result && "result" in result) {
    refs.push(...refsOf(result.result));
    try {
      result = checkJobResult(JSON.parse(await getText(client, result.result, `the result of electron "${name}"`)));
    } catch (error) {
      return broken(`electron "${name}": ${(error as Error).message}`);
    }
  }
  if (!result || "result" in result) {
    return broken(`electron "${name}": its job returned something that is not a Valence result`);
  }
  const extra = queuedMs === undefined ? {} : { queuedMs };
  const { logs, startedAt, endedAt } = result;
  const worker = { host: String(result.worker.host), pid: Number(result.worker.pid), id: String(result.worker.id) };
  if (!result.ok)
    return { outcome: { ok: false, error: result.error, logs, startedAt, endedAt, worker, ...extra }, refs };
  refs.push(...refsOf(result.output));
  try {
    const output = await getBytes(client, result.output, `the output of electron "${name}"`);
    return { outcome: { ok: true, output, logs, startedAt, endedAt, worker, ...extra }, refs };
  } catch (error) {
    return broken((error as Error).message);
  }
}

/** The outcome of a job BullMQ failed (not the task: a task's own error is a completed job). */
export function failedOutcome(name: string, reason: string): TaskOutcome {
  const now = Date.now();
  let message = `electron "${name}": its job failed in the queue: ${reason}`;
  if (/stalled more than allowable limit/.test(reason)) {
    message = `electron "${name}": its workers stopped responding while running it (${reason}); workers killed or overloaded?`;
  } else if (reason.startsWith(CANCELLED_REASON)) {
    message = `electron "${name}": ${reason}`;
  }
  return { ok: false, error: { name: "BullMQJobError", message }, logs: [], startedAt: now, endedAt: now };
}

/** The outcome of a task whose job could not be written to Redis. */
export function notQueuedOutcome(name: string, error: unknown): TaskOutcome {
  const now = Date.now();
  const cause = taskError(error);
  const message = `electron "${name}": could not be queued in BullMQ: ${cause.message}`;
  return { ok: false, error: { ...cause, message }, logs: [], startedAt: now, endedAt: now };
}
