// One worker thread of the local executor, seen from the pool: spawns it with the task memory limit
// it enforces, hands it a batch of tasks at a time (they run one after another), and turns how it died
// (out of memory, process.exit, an uncaught exception, termination on abort) into the outcome or
// rejection of the task that was running. Tasks of the batch that had not started go back to the pool.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import type { ElectronSpec } from "../workflow/serialize";
import { NotRun, type LogLine, type TaskError, type TaskOutcome, type TaskSpec } from "./executor";
import {
  CANCELLED,
  DONE,
  HELD,
  MAX_BATCH,
  QUEUED,
  STARTED,
  type WorkerReply,
  type WorkerSetup,
} from "./local-protocol";
import { encodeBatch, type BatchEntry } from "./local-batch";
import { taskError } from "./task-error";

const ENTRY = join(__dirname, "local-worker.js");
const REGISTER = join(__dirname, "..", "register.js");
/** Spec keys a worker keeps rebuilt electrons for; older ones are forgotten (least recently used). */
const KEPT_SPECS = 256;

/** A task handed to a worker, and how to report on it. */
export interface Job {
  readonly task: TaskSpec;
  readonly key: string;
  readonly spec: ElectronSpec;
  /** A follow-up (executor.ts): the argument positions that take the previous job's output. */
  readonly inputAt: readonly number[] | undefined;
  /** Called when the task starts (it may wait behind others of its batch). */
  readonly started: (at: number) => void;
  readonly resolve: (outcome: TaskOutcome, micros: number) => void;
  readonly reject: (reason: unknown) => void;
}

interface Running<J extends Job> {
  readonly job: J;
  readonly logs: LogLine[];
  settled: boolean;
  /** When the task started, once reported. */
  startedAt: number | undefined;
  /** Set when the pool terminates the worker for this task: the submit rejects with it. */
  stopReason?: { reason: unknown };
}

export class PooledWorker<J extends Job = Job> {
  /** Milliseconds from spawn to the worker's "ready" (modules loaded), once known. */
  startupMs: number | undefined;
  /** When it became ready (performance.now()), once it has. */
  readyAt: number | undefined;
  dead = false;
  private readonly worker: Worker;
  private readonly spawnedAt = performance.now();
  private readonly known = new Map<string, true>();
  private readonly control = new Int32Array(new SharedArrayBuffer(MAX_BATCH * 4));
  private readonly clock = new Float64Array(new SharedArrayBuffer(8));
  private batch: Array<Running<J>> | undefined;
  private unreported = 0;
  private crash: Error | undefined;
  private lastElectron: string | undefined;
  /** Why the whole worker is being stopped (close, retirement): every unsettled task rejects with it. */
  private stopAll: { reason: unknown } | undefined;
  /** Terminated (or being terminated) by the pool: the batch ends with the exit, not before. */
  private terminating = false;

  /**
   * @param limitMB the V8 heap limit of the worker, in MiB (old + young generation).
   * @param onIdle called when every task of the batch is reported (not after the worker exits).
   * @param onExit called once when the worker has exited, with the tasks that never started.
   */
  constructor(
    readonly limitMB: number,
    private readonly onIdle: (worker: PooledWorker<J>) => void,
    private readonly onExit: (worker: PooledWorker<J>, unstarted: J[]) => void,
  ) {
    const young = Math.min(32, Math.max(2, Math.floor(limitMB / 16)));
    const workerData: WorkerSetup = {
      control: this.control.buffer as SharedArrayBuffer,
      clock: this.clock.buffer as SharedArrayBuffer,
      // Valence's loader in the worker too, once an electron imports a module (the user's .ts ones).
      loader: existsSync(REGISTER) ? REGISTER : undefined,
    };
    this.worker = new Worker(ENTRY, {
      execArgv: [],
      resourceLimits: { maxOldGenerationSizeMb: Math.max(8, limitMB - young), maxYoungGenerationSizeMb: young },
      workerData,
    });
    this.worker.on("message", (reply: WorkerReply) => this.receive(reply));
    this.worker.on("error", (error) => (this.crash ??= error));
    this.worker.on("exit", (code) => this.exited(code));
  }

  get busy(): boolean {
    return this.batch !== undefined;
  }

  /** How long (ms) the task running now has run; 0 when none is (between tasks, or all done). */
  runningFor(now = Date.now()): number {
    const batch = this.batch;
    if (!batch) return 0;
    for (let i = 0; i < batch.length; i++) {
      if (Atomics.load(this.control, i) === STARTED) return Math.max(0, now - this.clock[0]!);
    }
    return 0;
  }

  /** Runs the jobs one after another; the first starts now. At most MAX_BATCH. */
  run(jobs: readonly J[]): void {
    if (this.batch || this.dead) throw new Error("internal: a local worker runs one batch at a time");
    this.worker.ref();
    this.lastElectron = jobs.at(-1)!.task.name;
    const entries: BatchEntry[] = [];
    const sent = new Set<string>();
    for (const job of jobs) {
      const first = !this.known.delete(job.key) && !sent.has(job.key);
      this.known.set(job.key, true);
      sent.add(job.key);
      entries.push({ task: job.task, key: job.key, spec: first ? job.spec : undefined, inputAt: job.inputAt });
    }
    const forget: string[] = [];
    for (const old of this.known.keys()) {
      if (this.known.size - forget.length <= KEPT_SPECS) break;
      if (!sent.has(old)) forget.push(old);
    }
    for (const old of forget) this.known.delete(old);
    this.batch = jobs.map((job) => ({ job, logs: [], settled: false, startedAt: undefined }));
    this.unreported = jobs.length;
    this.control.fill(QUEUED, 0, jobs.length);
    this.worker.postMessage(encodeBatch(entries, forget));
    this.reportStart(0, Date.now());
  }

  /**
   * Aborts the task at `index` of the current batch: at once if it has not started (or is already
   * done); if it is running, by terminating the worker — the batch's later tasks go back to the pool.
   */
  abort(index: number, reason: unknown): void {
    const running = this.batch?.[index];
    if (!running || running.settled) return;
    const state = Atomics.compareExchange(this.control, index, QUEUED, CANCELLED);
    if (state === QUEUED || state === DONE || state === CANCELLED) {
      this.settle(running).reject(reason);
      return;
    }
    running.stopReason ??= { reason };
    for (let i = index + 1; i < this.batch!.length; i++) Atomics.compareExchange(this.control, i, QUEUED, HELD);
    this.terminating = true;
    void this.worker.terminate();
  }

  /** Withdraws the job of the batch that `match`es if it has not started: it rejects with `reason`. */
  withdraw(match: (job: J) => boolean, reason: unknown): boolean {
    const index = this.batch?.findIndex((r) => !r.settled && match(r.job)) ?? -1;
    if (index < 0 || Atomics.compareExchange(this.control, index, QUEUED, CANCELLED) !== QUEUED) return false;
    this.settle(this.batch![index]!).reject(reason);
    return true;
  }

  /** Terminates the worker; every task of its batch rejects with `reason`. */
  async stop(reason: unknown): Promise<void> {
    this.stopAll ??= { reason };
    this.terminating = true;
    await this.worker.terminate();
  }

  /** An idle worker does not keep the process alive. */
  idle(): void {
    this.worker.unref();
  }

  private receive(reply: WorkerReply): void {
    if (reply.type === "ready") {
      this.readyAt = performance.now();
      this.startupMs = this.readyAt - this.spawnedAt;
      return;
    }
    const running = this.batch?.[reply.index];
    if (!running) return;
    if (reply.type === "log") {
      if (!running.settled && !running.stopReason) running.logs.push(reply.line);
      return;
    }
    if (reply.type === "skipped" && reply.notRun && !running.settled) {
      this.settle(running).reject(new NotRun(`the task before "${running.job.task.name}" did not succeed`));
    }
    if (reply.type === "done") {
      // The worker forgot a spec whose rebuild failed: send it again next time.
      if (reply.specFailed) this.known.delete(running.job.key);
      if (!running.settled && !running.stopReason && !this.stopAll) {
        this.reportStart(reply.index, reply.outcome.startedAt);
        this.settle(running).resolve({ ...reply.outcome, logs: running.logs }, reply.micros);
        const next = this.nextToRun(reply.index, reply.outcome.ok);
        if (next >= 0) this.reportStart(next, reply.outcome.endedAt);
      }
    }
    if (--this.unreported === 0 && !this.dead && !this.terminating) {
      this.batch = undefined;
      this.onIdle(this);
    }
  }

  /** The task the worker goes on with after the one at `index`: not cancelled, not a follow-up that cannot run. */
  private nextToRun(index: number, succeeded: boolean): number {
    const batch = this.batch!;
    let inputReady = succeeded;
    for (let i = index + 1; i < batch.length; i++) {
      const running = batch[i]!;
      if (running.job.inputAt && !inputReady) continue;
      if (!running.settled) return i;
      inputReady = false;
    }
    return -1;
  }

  private reportStart(index: number, at: number): void {
    const running = this.batch![index]!;
    if (running.startedAt !== undefined || running.settled) return;
    running.startedAt = at;
    running.job.started(at);
  }

  private settle(running: Running<J>): J {
    running.settled = true;
    return running.job;
  }

  private exited(code: number): void {
    this.dead = true;
    const batch = this.batch ?? [];
    this.batch = undefined;
    const unstarted: J[] = [];
    let died: Running<J> | undefined;
    batch.forEach((running, index) => {
      if (running.settled) return;
      const state = Atomics.load(this.control, index);
      if (this.stopAll) this.settle(running).reject(this.stopAll.reason);
      else if (running.stopReason) this.settle(running).reject(running.stopReason.reason);
      else if (state === QUEUED || state === HELD || (state === STARTED && batch.some((r) => r.stopReason))) {
        // Never started, or started just as the worker was terminated for another task: run it
        // elsewhere — except a follow-up, whose input was this worker's to give.
        if (running.job.inputAt)
          this.settle(running).reject(new NotRun(`the worker of "${running.job.task.name}" stopped`));
        else {
          running.settled = true;
          unstarted.push(running.job);
        }
      } else died ??= running;
    });
    this.onExit(this, unstarted);
    if (died) {
      const endedAt = Date.now();
      const error = this.death(died.job.task, code);
      this.settle(died).resolve(
        { ok: false, error, logs: died.logs, startedAt: died.startedAt ?? endedAt, endedAt },
        0,
      );
    } else if (!batch.length && this.crash && this.lastElectron !== undefined && !this.stopAll) {
      process.emitWarning(
        `a local worker crashed between tasks (last electron: "${this.lastElectron}"): ${this.crash.message}`,
        { code: "VALENCE_WORKER_CRASHED" },
      );
    }
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
