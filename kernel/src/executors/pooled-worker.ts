// One worker thread of the local executor, seen from the pool: spawns it with the task memory limit
// it enforces, runs one task at a time on it, and turns how it died (out of memory, process.exit, an
// uncaught exception, termination on abort) into that task's outcome or rejection.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { ElectronSpec } from "../workflow/serialize";
import type { LogLine, TaskError, TaskOutcome, TaskSpec } from "./executor";
import type { RunMessage, WorkerReply } from "./local-protocol";
import { taskError } from "./task-error";

const ENTRY = join(__dirname, "local-worker.js");
const REGISTER = join(__dirname, "..", "register.js");
/** Spec keys a worker keeps rebuilt electrons for; older ones are forgotten (least recently used). */
const KEPT_SPECS = 256;

interface Job {
  readonly task: TaskSpec;
  readonly key: string;
  readonly logs: LogLine[];
  readonly startedAt: number;
  readonly resolve: (outcome: TaskOutcome) => void;
  readonly reject: (reason: unknown) => void;
  /** Set when the pool terminates the worker: the submit rejects with it instead of failing. */
  stopReason?: { reason: unknown };
}

export class PooledWorker {
  /** Milliseconds from spawn to the worker's "ready" (modules loaded), once known. */
  startupMs: number | undefined;
  dead = false;
  private readonly worker: Worker;
  private readonly spawnedAt = performance.now();
  private readonly known = new Map<string, true>();
  private job: Job | undefined;
  private crash: Error | undefined;
  private lastElectron: string | undefined;

  /**
   * @param limitMB the V8 heap limit of the worker, in MiB (old + young generation).
   * @param onExit called once when the worker has exited, whatever the reason.
   */
  constructor(
    readonly limitMB: number,
    private readonly onExit: (worker: PooledWorker) => void,
  ) {
    const young = Math.min(32, Math.max(2, Math.floor(limitMB / 16)));
    this.worker = new Worker(ENTRY, {
      // Valence's loader in the worker too: electrons may import the user's .ts modules.
      execArgv: existsSync(REGISTER) ? ["--import", pathToFileURL(REGISTER).href] : [],
      resourceLimits: { maxOldGenerationSizeMb: Math.max(8, limitMB - young), maxYoungGenerationSizeMb: young },
    });
    this.worker.on("message", (reply: WorkerReply) => this.receive(reply));
    this.worker.on("error", (error) => (this.crash ??= error));
    this.worker.on("exit", (code) => this.exited(code));
  }

  get busy(): boolean {
    return this.job !== undefined;
  }

  /** Runs one task; resolves with its outcome (a crash is a failed outcome), rejects once stopped. */
  run(task: TaskSpec, key: string, spec: ElectronSpec): Promise<TaskOutcome> {
    if (this.job || this.dead) throw new Error("internal: a local worker runs one task at a time");
    this.worker.ref();
    this.lastElectron = task.name;
    const first = !this.known.delete(key);
    this.known.set(key, true);
    const forget: string[] = [];
    for (const old of this.known.keys()) {
      if (this.known.size - forget.length <= KEPT_SPECS) break;
      forget.push(old);
    }
    for (const old of forget) this.known.delete(old);
    const message: RunMessage = {
      type: "run",
      task: { ...task, electron: null },
      key,
      forget,
      ...(first ? { spec } : {}),
    };
    return new Promise<TaskOutcome>((resolve, reject) => {
      this.job = { task, key, logs: [], startedAt: Date.now(), resolve, reject };
      this.worker.postMessage(message);
    });
  }

  /** Terminates the worker; a running task's submit rejects with `reason`. */
  async stop(reason: unknown): Promise<void> {
    if (this.job) this.job.stopReason ??= { reason };
    await this.worker.terminate();
  }

  /** An idle worker does not keep the process alive. */
  idle(): void {
    this.worker.unref();
  }

  private receive(reply: WorkerReply): void {
    if (reply.type === "ready") {
      this.startupMs = performance.now() - this.spawnedAt;
      return;
    }
    const job = this.job;
    if (!job || job.stopReason) return;
    if (reply.type === "log") {
      job.logs.push(reply.line);
      return;
    }
    // The worker forgot a spec whose rebuild failed: send it again next time.
    if (reply.specFailed) this.known.delete(job.key);
    this.job = undefined;
    job.resolve({ ...reply.outcome, logs: job.logs });
  }

  private exited(code: number): void {
    this.dead = true;
    const job = this.job;
    this.job = undefined;
    this.onExit(this);
    if (!job) {
      if (this.crash && this.lastElectron !== undefined) {
        process.emitWarning(
          `a local worker crashed between tasks (last electron: "${this.lastElectron}"): ${this.crash.message}`,
          { code: "VALENCE_WORKER_CRASHED" },
        );
      }
      return;
    }
    if (job.stopReason) {
      job.reject(job.stopReason.reason);
      return;
    }
    job.resolve({
      ok: false,
      error: this.death(job.task, code),
      logs: job.logs,
      startedAt: job.startedAt,
      endedAt: Date.now(),
    });
  }

  private death(task: TaskSpec, code: number): TaskError {
    const crash = this.crash as (Error & { code?: string }) | undefined;
    const who = `electron "${task.name}"`;
    if (crash?.code === "ERR_WORKER_OUT_OF_MEMORY") {
      return { name: "WorkerOutOfMemoryError", message: `${who}: worker ran out of memory (limit ${this.limitMB} MB)` };
    }
    if (crash) {
      const cause = taskError(crash);
      return {
        ...cause,
        message: `${who}: an uncaught ${cause.name} crashed its worker (thrown outside the task's own promise chain, e.g. in a callback or timer): ${cause.message}`,
      };
    }
    return {
      name: "WorkerExitError",
      message: `${who}: its worker exited with code ${code} before the task finished (process.exit() ends the worker)`,
    };
  }
}
