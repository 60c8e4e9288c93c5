// What the dispatcher's BullMQ executor and `valence worker` say to each other through Redis: the
// job's data and its return value, the control channel's messages (cancel, new queue), the names of
// our own keys, and the checks a worker makes before trusting a job it found on the queue.
import type { LogLine, TaskError } from "../executor";

/** Marks our jobs and results; a worker rejects data of any other format or version. */
export const FORMAT = 1;

/**
 * A value that travels by Redis: inline (base64 for bytes, the text itself for text) when small,
 * else a reference to a key of its own (see payload.ts).
 */
export type Payload = { readonly inline: string } | { readonly ref: string; readonly bytes: number };

export interface WorkerIdentity {
  readonly id: string;
  readonly host: string;
  readonly pid: number;
}

/** A job's data: everything a worker needs to run the task, without the user's kernel. */
export interface JobData {
  readonly valence: typeof FORMAT;
  readonly dispatchId: string;
  readonly nodeId: number;
  readonly attempt: number;
  readonly name: string;
  /** The electron's serialized spec, as JSON text. */
  readonly electron: Payload;
  /** The arguments, v8-serialized. */
  readonly args: Payload;
  readonly resources: { readonly cpus: number; readonly memoryMB?: number; readonly gpus?: number };
  readonly volume?: { readonly name: string; readonly path: string };
}

/** A job's return value: the task's outcome, or (when large) a reference to it as JSON text. */
export type JobResult =
  | {
      readonly valence: typeof FORMAT;
      readonly ok: true;
      readonly output: Payload;
      readonly logs: LogLine[];
      readonly startedAt: number;
      readonly endedAt: number;
      readonly worker: WorkerIdentity;
    }
  | {
      readonly valence: typeof FORMAT;
      readonly ok: false;
      readonly error: TaskError;
      readonly logs: LogLine[];
      readonly startedAt: number;
      readonly endedAt: number;
      readonly worker: WorkerIdentity;
    }
  | { readonly valence: typeof FORMAT; readonly result: Payload };

/**
 * What workers publish on the results channel (`ControlKeys.results`), so that a dispatcher learns a
 * job's outcome without waiting for BullMQ's event stream: "done" and "failed" are published just
 * before the worker hands the job's outcome to BullMQ, and only while the job is still this worker's
 * (its lock is the worker's), so a dispatcher never takes an outcome Redis then refuses; "active" is
 * published only for a task still running a moment after it started. The job's return value in Redis
 * stays the durable record (a restarted dispatcher reads it).
 */
export type ResultMessage =
  | { readonly type: "active"; readonly queue: string; readonly jobId: string }
  | { readonly type: "done"; readonly queue: string; readonly jobId: string; readonly result: JobResult }
  | { readonly type: "failed"; readonly queue: string; readonly jobId: string; readonly reason: string };

/** Messages on the control channel. */
export type ControlMessage =
  | { readonly type: "cancel"; readonly queue: string; readonly jobId: string; readonly reason: string }
  | { readonly type: "queue"; readonly name: string };

/** A worker's registration (its key expires unless its heartbeat refreshes it). */
export interface WorkerRecord extends WorkerIdentity {
  readonly queue: string;
  readonly cpus: number;
  readonly memoryMB: number;
  readonly gpus: number;
  readonly concurrency: number;
  readonly startedAt: number;
  /** The queues it consumes now (the base queue and the class queues it can serve). */
  readonly queues: readonly string[];
}

/** The failed reason a worker gives a job it stopped on the dispatcher's request. */
export const CANCELLED_REASON = "cancelled by the dispatcher";

/** Our keys and channel, under BullMQ's prefix and the base queue's name. */
export class ControlKeys {
  readonly root: string;
  /** A set of worker ids; each id's record lives at `worker(id)` with a TTL. */
  readonly workers: string;
  /** A set of the class queues tasks were sent to, so workers that can serve them consume them. */
  readonly queues: string;
  readonly channel: string;
  /** Where workers publish jobs' outcomes (see ResultMessage). */
  readonly results: string;

  constructor(
    readonly prefix: string,
    readonly queue: string,
  ) {
    this.root = `${prefix}:${queue}:valence`;
    this.workers = `${this.root}:workers`;
    this.queues = `${this.root}:queues`;
    this.channel = `${this.root}:control`;
    this.results = `${this.root}:results`;
  }

  worker(id: string): string {
    return `${this.root}:worker:${id}`;
  }

  /** Where a large part of a job (args, electron, output, result) is kept. */
  blob(jobId: string, part: "args" | "electron" | "output" | "result"): string {
    return `${this.root}:blob:${jobId}:${part}`;
  }
}

/** `${dispatchId}:${nodeId}:${attempt}`: BullMQ allows ":" in a custom id only as exactly three parts. */
export function jobIdOf(task: { dispatchId: string; nodeId: number; attempt: number }): string {
  return `${task.dispatchId.replace(/:/g, "_")}:${task.nodeId}:${task.attempt}`;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

function isPayload(value: unknown): value is Payload {
  if (!isObject(value)) return false;
  if (typeof value.inline === "string") return true;
  return typeof value.ref === "string" && typeof value.bytes === "number";
}

const isCount = (value: unknown): value is number => typeof value === "number" && Number.isFinite(value) && value >= 0;

/** The job's data if it is ours and whole, else why not (a worker fails such a job with this reason). */
export function checkJobData(data: unknown): JobData | string {
  if (!isObject(data)) {
    const kind = data === null ? "null" : Array.isArray(data) ? "an array" : `a ${typeof data}`;
    return `its data is ${kind}, not an object`;
  }
  if (!("valence" in data))
    return `its data has no "valence" format marker (keys: ${Object.keys(data).slice(0, 8).join(", ") || "none"})`;
  if (data.valence !== FORMAT)
    return `its data is format ${JSON.stringify(data.valence)}, this worker reads format ${FORMAT}`;
  const missing: string[] = [];
  if (typeof data.dispatchId !== "string") missing.push("dispatchId (string)");
  if (!Number.isInteger(data.nodeId)) missing.push("nodeId (integer)");
  if (!Number.isInteger(data.attempt)) missing.push("attempt (integer)");
  if (typeof data.name !== "string") missing.push("name (string)");
  if (!isPayload(data.electron)) missing.push("electron (payload)");
  if (!isPayload(data.args)) missing.push("args (payload)");
  const resources = data.resources;
  if (!isObject(resources) || !(isCount(resources.cpus) && resources.cpus > 0)) missing.push("resources.cpus (> 0)");
  else {
    if (resources.memoryMB !== undefined && !isCount(resources.memoryMB)) missing.push("resources.memoryMB (number)");
    if (resources.gpus !== undefined && !isCount(resources.gpus)) missing.push("resources.gpus (number)");
  }
  const volume = data.volume;
  if (
    volume !== undefined &&
    !(isObject(volume) && typeof volume.name === "string" && typeof volume.path === "string")
  ) {
    missing.push("volume ({name, path})");
  }
  if (missing.length) return `its data lacks or mistypes: ${missing.join(", ")}`;
  return data as unknown as JobData;
}

/** The job's return value if it is one of ours, else undefined. */
export function checkJobResult(value: unknown): JobResult | undefined {
  if (!isObject(value) || value.valence !== FORMAT) return undefined;
  if ("result" in value) return isPayload(value.result) ? (value as unknown as JobResult) : undefined;
  if (typeof value.ok !== "boolean" || !Array.isArray(value.logs) || !isObject(value.worker)) return undefined;
  if (value.ok ? !isPayload(value.output) : !isObject(value.error)) return undefined;
  return value as unknown as JobResult;
}

/**
 * Why a job's electron spec (parsed JSON) is not one a worker can rebuild, or undefined when its
 * shape is right: checked before it reaches a task thread, where a wrong shape would crash the thread
 * with an error that blames the task's own code.
 */
export function checkElectronSpec(spec: unknown): string | undefined {
  if (!isObject(spec)) return `it is ${spec === null ? "null" : Array.isArray(spec) ? "an array" : `a ${typeof spec}`}`;
  if (spec.version !== 1) return `its version is ${JSON.stringify(spec.version)}, this worker reads version 1`;
  const functions = spec.functions;
  if (!Array.isArray(functions) || !functions.length) return `it has no "functions" list`;
  const fn = (value: unknown): boolean =>
    Number.isInteger(value) && (value as number) >= 0 && (value as number) < functions.length;
  const broken = functions.findIndex(
    (f) => !isObject(f) || typeof f.name !== "string" || typeof f.source !== "string" || !isObject(f.bindings),
  );
  if (broken >= 0) return `its function ${broken} lacks a name, source or bindings`;
  const electron = spec.electron;
  if (!isObject(electron) || typeof electron.name !== "string" || !isObject(electron.options) || !fn(electron.fn)) {
    return `its "electron" lacks a name, options or a function index`;
  }
  for (const hooks of ["callBefore", "callAfter"] as const) {
    const list = electron[hooks];
    if (!Array.isArray(list) || !list.every(fn)) return `its electron's ${hooks} is not a list of function indexes`;
  }
  return undefined;
}

/** A message from the results channel if it is one of ours and whole, else undefined. */
export function checkResultMessage(text: string): ResultMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(value) || typeof value.queue !== "string" || typeof value.jobId !== "string") return undefined;
  if (value.type === "active") return value as unknown as ResultMessage;
  if (value.type === "failed")
    return typeof value.reason === "string" ? (value as unknown as ResultMessage) : undefined;
  if (value.type === "done") return checkJobResult(value.result) ? (value as unknown as ResultMessage) : undefined;
  return undefined;
}

export function checkControlMessage(text: string): ControlMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(value)) return undefined;
  if (value.type === "cancel" && typeof value.jobId === "string" && typeof value.queue === "string") {
    return { type: "cancel", queue: value.queue, jobId: value.jobId, reason: String(value.reason ?? "") };
  }
  if (value.type === "queue" && typeof value.name === "string") return { type: "queue", name: value.name };
  return undefined;
}

export function checkWorkerRecord(text: string | null): WorkerRecord | undefined {
  if (text === null) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    if (!isObject(value) || typeof value.id !== "string" || !isCount(value.cpus) || !isCount(value.memoryMB)) {
      return undefined;
    }
    return { ...value, gpus: isCount(value.gpus) ? value.gpus : 0 } as unknown as WorkerRecord;
  } catch {
    return undefined;
  }
}
