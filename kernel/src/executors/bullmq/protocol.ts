// What the dispatcher's BullMQ executor and `valence worker` say to each other through Redis: the
// job's data and its return value, the control channel's messages (cancel, new queue), the names of
// our own keys, and the checks a worker makes before trusting a job it found on the queue.
import {
  bullmqSchema,
  dagSchema,
  protocolSchema,
  type JobData,
  type JobResult,
  type ResultMessage,
} from "@valence/schema";
import type { ControlMessage, WorkerRecord } from "@valence/schema";
import { compiledCheck, jsonPath, schemaProblems } from "../../workflow/schema-check";

export type {
  Payload,
  WorkerIdentity,
  JobData,
  JobResult,
  ResultMessage,
  ControlMessage,
  WorkerRecord,
} from "@valence/schema";

/** Marks our jobs and results (`format` in bullmq.schema.json); a worker rejects data of any other format or version. */
export const FORMAT = 1;

/** The check of one message of bullmq.schema.json, compiled on first use. */
function checkOf<T>(definition: string) {
  return compiledCheck<T>(bullmqSchema, definition, [dagSchema, protocolSchema]);
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
  const check = checkOf<JobData>("jobData");
  if (check(data)) return data;
  const problems = schemaProblems(check, { place: (path) => (path ? `${jsonPath(path)} ` : ""), noun: () => "field" });
  return `its data: ${problems.join("; ")}`;
}

/** The job's return value if it is one of ours, else undefined. */
export function checkJobResult(value: unknown): JobResult | undefined {
  return checkOf<JobResult>("jobResult")(value) ? value : undefined;
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
  const value = parsed(text);
  return checkOf<ResultMessage>("resultMessage")(value) ? value : undefined;
}

export function checkControlMessage(text: string): ControlMessage | undefined {
  const value = parsed(text);
  return checkOf<ControlMessage>("controlMessage")(value) ? value : undefined;
}

export function checkWorkerRecord(text: string | null): WorkerRecord | undefined {
  if (text === null) return undefined;
  const value = parsed(text);
  return checkOf<WorkerRecord>("workerRecord")(value) ? value : undefined;
}

/** JSON text as a value, or undefined when it is not JSON (then no check passes). */
function parsed(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
