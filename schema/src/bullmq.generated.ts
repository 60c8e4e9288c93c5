/* Generated from the JSON Schema beside it by `npm run schema:generate`. Do not edit. */

/**
 * A value that travels by Redis: inline (base64 for bytes, the text itself for text) when small, else a reference to a key of its own.
 *
 * This interface was referenced by `BullMQMessages`'s JSON-Schema
 * via the `definition` "payload".
 */
export type Payload =
  | {
      inline: string;
    }
  | {
      ref: string;
      bytes: number;
    };
/**
 * A job's return value: the task's outcome, or (when large) a reference to it as JSON text.
 *
 * This interface was referenced by `BullMQMessages`'s JSON-Schema
 * via the `definition` "jobResult".
 */
export type JobResult =
  | {
      /**
       * Marks our jobs and results; a worker rejects data of any other format or version.
       */
      valence: 1;
      ok: true;
      output: Payload;
      logs: LogLine[];
      startedAt: number;
      endedAt: number;
      worker: WorkerIdentity;
    }
  | {
      /**
       * Marks our jobs and results; a worker rejects data of any other format or version.
       */
      valence: 1;
      ok: false;
      error: TaskErrorDocument;
      logs: LogLine[];
      startedAt: number;
      endedAt: number;
      worker: WorkerIdentity;
    }
  | {
      /**
       * Marks our jobs and results; a worker rejects data of any other format or version.
       */
      valence: 1;
      result: Payload;
    };
/**
 * What workers publish on the results channel, so a dispatcher learns a job's outcome without waiting for BullMQ's event stream: "done" and "failed" just before the worker hands the outcome to BullMQ, while the job is still the worker's; "active" only for a task still running a moment after it started.
 *
 * This interface was referenced by `BullMQMessages`'s JSON-Schema
 * via the `definition` "resultMessage".
 */
export type ResultMessage =
  | {
      type: "active";
      queue: string;
      jobId: string;
    }
  | {
      type: "done";
      queue: string;
      jobId: string;
      result: JobResult;
    }
  | {
      type: "failed";
      queue: string;
      jobId: string;
      reason: string;
    };
/**
 * Messages on the control channel: cancel a job, or a new class queue workers able to serve it should consume.
 *
 * This interface was referenced by `BullMQMessages`'s JSON-Schema
 * via the `definition` "controlMessage".
 */
export type ControlMessage =
  | {
      type: "cancel";
      queue: string;
      jobId: string;
      reason?: string;
    }
  | {
      type: "queue";
      name: string;
    };

/**
 * What the dispatcher's BullMQ executor and `valence worker` say to each other through Redis: a job's data and return value, the results and control channels' messages, a worker's registration. Each side checks what it reads: Redis is shared, and a key may hold anything.
 */
export interface BullMQMessages {
  jobData?: JobData;
  jobResult?: JobResult;
  resultMessage?: ResultMessage;
  controlMessage?: ControlMessage;
  workerRecord?: WorkerRecord;
}
/**
 * A job's data: everything a worker needs to run the task, without the user's kernel. `electron` is the electron's serialized spec as JSON text; `args` the arguments, v8-serialized.
 *
 * This interface was referenced by `BullMQMessages`'s JSON-Schema
 * via the `definition` "jobData".
 */
export interface JobData {
  /**
   * Marks our jobs and results; a worker rejects data of any other format or version.
   */
  valence: 1;
  dispatchId: string;
  nodeId: number;
  attempt: number;
  name: string;
  electron: Payload;
  args: Payload;
  resources: {
    cpus: number;
    memoryMB?: number;
    gpus?: number;
  };
  volume?: {
    name: string;
    path: string;
  };
}
/**
 * A line a task wrote, as its executor captured it.
 */
export interface LogLine {
  stream: "stdout" | "stderr";
  text: string;
  /**
   * Milliseconds since the epoch.
   */
  at: number;
}
/**
 * This interface was referenced by `BullMQMessages`'s JSON-Schema
 * via the `definition` "workerIdentity".
 */
export interface WorkerIdentity {
  id: string;
  host: string;
  pid: number;
}
export interface TaskErrorDocument {
  name: string;
  message: string;
  stack?: string;
}
/**
 * A worker's registration (its key expires unless its heartbeat refreshes it).
 *
 * This interface was referenced by `BullMQMessages`'s JSON-Schema
 * via the `definition` "workerRecord".
 */
export interface WorkerRecord {
  id: string;
  host: string;
  pid: number;
  queue: string;
  cpus: number;
  memoryMB: number;
  gpus: number;
  concurrency: number;
  startedAt: number;
  /**
   * The queues it consumes now (the base queue and the class queues it can serve).
   */
  queues: string[];
}
