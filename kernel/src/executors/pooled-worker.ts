// One worker thread of the local executor, seen from the pool: spawns it with the task memory limit
// it enforces, hands it a batch of tasks at a time (they run one after another) and, while it runs
// one, may queue the next (so the worker goes on without sleeping: waking a sleeping thread cost the
// dispatcher CPU on every message), and turns how it died (out of memory, process.exit, an uncaught
// exception, termination on abort) into the outcome or rejection of the task that was running. Tasks
// that had not started go back to the pool. The worker reports the outcomes of several tasks in one
// message (local-outcomes.ts): each is handled as if it had come alone; those it had not sent when
// it ended are read from the memory it shared.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { NotRun } from "./executor";
import {
  CANCELLED,
  DONE,
  HELD,
  MAX_BATCH,
  QUEUED,
  STARTED,
  type DoneReply,
  type SkippedReply,
  type WorkerReply,
  type WorkerSetup,
} from "./local-protocol";
import { encodeBatch, type BatchEntry } from "./local-batch";
import { heldOutcomes, outcomeMemory, packedOutcome, packSize } from "./local-outcomes";
import { deathError } from "./worker-death";
import { inBatch, type Job, type Running } from "./pooled-job";

export type { Job } from "./pooled-job";

const ENTRY = join(__dirname, "local-worker.js");
const REGISTER = join(__dirname, "..", "register.js");
/** Spec keys a worker keeps rebuilt electrons for; older ones are forgotten (least recently used). */
const KEPT_SPECS = 256;

export class PooledWorker<J extends Job = Job> {
  /** Milliseconds from spawn to the worker's "ready" (modules loaded), once known. */
  startupMs: number | undefined;
  /** When it became ready (performance.now()), once it has. */
  readyAt: number | undefined;
  dead = false;
  private readonly worker: Worker;
  private readonly spawnedAt = performance.now();
  private readonly known = new Map<string, true>();
  /**
   * Spec keys whose first task the worker said it started (its electron rebuilt). A task of another
   * electron starts when the worker says so, not when it is handed over: the rebuild is not its run.
   */
  private readonly warm = new Set<string>();
  // Two halves of MAX_BATCH slots: the batch running and the one queued behind it use one each.
  private readonly control = new Int32Array(new SharedArrayBuffer(2 * MAX_BATCH * 4));
  private readonly clock = new Float64Array(new SharedArrayBuffer(8));
  /** Outcomes the worker keeps before it sends them: read here if it ends first. */
  private readonly outcomes = outcomeMemory();
  /** The batch running (or about to), and the one queued behind it; unreported tasks of the first. */
  private batch: Array<Running<J>> | undefined;
  private queued: Array<Running<J>> | undefined;
  private unreported = 0;
  /** Position in `batch` from which the task running now is looked for. */
  private scanFrom = 0;
  private crash: Error | undefined;
  private lastElectron: string | undefined;
  /** Why the whole worker is being stopped (close, retirement): every unsettled task rejects with it. */
  private stopAll: { reason: unknown } | undefined;
  /** Terminated (or being terminated) by the pool: the batch ends with the exit, not before. */
  private terminating = false;

  /**
   * @param limitMB the V8 heap limit of the worker, in MiB (old + young generation).
   * @param onIdle called when every task of the batch is reported (not after the worker exits); the
   *   worker is still `busy` if a queued batch took its place.
   * @param onExit called once when the worker has exited, with the tasks that never started.
   * @param onGiveBack called with tasks the worker skipped, held for an abort that then found its task
   *   ended: they run elsewhere (or here, later).
   */
  constructor(
    readonly limitMB: number,
    private readonly onIdle: (worker: PooledWorker<J>) => void,
    private readonly onExit: (worker: PooledWorker<J>, unstarted: J[]) => void,
    private readonly onGiveBack: (worker: PooledWorker<J>, held: J[]) => void,
  ) {
    const young = Math.min(32, Math.max(2, Math.floor(limitMB / 16)));
    const workerData: WorkerSetup = {
      control: this.control.buffer as SharedArrayBuffer,
      clock: this.clock.buffer as SharedArrayBuffer,
      outcomes: this.outcomes,
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

  /** True while a batch waits behind the running one: no other can be queued. */
  get hasQueued(): boolean {
    return this.queued !== undefined;
  }

  /** How long (ms) the task running now has run; 0 when none is (between tasks, or all done). */
  runningFor(now = Date.now()): number {
    const batch = this.batch;
    if (!batch) return 0;
    for (let i = this.scanFrom; i < batch.length; i++) {
      if (Atomics.load(this.control, batch[i]!.slot) === STARTED) return Math.max(0, now - this.clock[0]!);
    }
    return 0;
  }

  /**
   * Runs the jobs one after another (at most MAX_BATCH): now if the worker is free, else after the
   * batch it runs (one batch may wait so). Returns the jobs' first slot: job i is `abort`ed at slot + i.
   */
  run(jobs: readonly J[]): number {
    if (this.queued || this.dead) throw new Error("internal: a local worker holds two batches at most");
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
    for (const old of forget) {
      this.known.delete(old);
      this.warm.delete(old);
    }
    const running = this.batch;
    // The half the running batch does not use (its own tasks are all reported before it is reused).
    const base = running && running[0]!.slot === 0 ? MAX_BATCH : 0;
    const batch = jobs.map((job, i) => ({ job, logs: [], slot: base + i, settled: false, startedAt: undefined }));
    this.control.fill(QUEUED, base, base + jobs.length);
    this.worker.postMessage(encodeBatch(entries, forget, base));
    if (running) this.queued = batch;
    else this.begin(batch, Date.now());
    return base;
  }

  /** `batch` is the one running now, its first task started `at`. */
  private begin(batch: Array<Running<J>>, at: number): void {
    this.batch = batch;
    this.unreported = batch.length;
    this.scanFrom = 0;
    this.handedOver(batch[0]!, at);
  }

  /** The task of `slot`, in the running or the queued batch. */
  private at(slot: number): Running<J> | undefined {
    return inBatch(this.batch, slot) ?? inBatch(this.queued, slot);
  }

  /**
   * Aborts the task in `slot`: at once if it has not started; if running, by terminating the worker (the
   * tasks not started go back to the pool). One already run is not: its outcome is on its way, and the
   * step after it in a chain may be running.
   */
  abort(slot: number, reason: unknown): void {
    const running = this.at(slot);
    if (!running || running.settled) return;
    const state = Atomics.compareExchange(this.control, slot, QUEUED, CANCELLED);
    if (state === DONE) {
      running.lateAbort ??= { reason };
      return;
    }
    if (state === QUEUED || state === CANCELLED) {
      this.settle(running).reject(reason);
      return;
    }
    // Running: the others are held first, so that none starts; then, if it still runs, the worker is
    // terminated. If it ended meanwhile, the worker may have gone on with the next task: it is then
    // left to run, like one aborted after it ran, and what was held is let go.
    const held = [...this.batch!, ...(this.queued ?? [])].filter(
      (later) => later.slot !== slot && Atomics.compareExchange(this.control, later.slot, QUEUED, HELD) === QUEUED,
    );
    if (Atomics.load(this.control, slot) !== STARTED) {
      running.lateAbort ??= { reason };
      // One the worker skipped before this reached it comes back in finished().
      for (const later of held) Atomics.compareExchange(this.control, later.slot, HELD, QUEUED);
      return;
    }
    running.stopReason ??= { reason };
    this.terminating = true;
    void this.worker.terminate();
  }

  /** Withdraws the job that `match`es if it has not started: it rejects with `reason`. */
  withdraw(match: (job: J) => boolean, reason: unknown): boolean {
    const running = [...(this.batch ?? []), ...(this.queued ?? [])].find((r) => !r.settled && match(r.job));
    if (!running || Atomics.compareExchange(this.control, running.slot, QUEUED, CANCELLED) !== QUEUED) return false;
    this.settle(running).reject(reason);
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
    switch (reply.type) {
      case "ready":
        this.readyAt = performance.now();
        this.startupMs = this.readyAt - this.spawnedAt;
        return;
      case "started": {
        const running = this.at(reply.index);
        if (!running) return;
        this.warm.add(running.job.key);
        this.reportStart(running, reply.at);
        return;
      }
      case "log": {
        const running = this.at(reply.index);
        if (running && !running.settled && !running.stopReason) running.logs.push(reply.line);
        return;
      }
      case "exiting":
        // A crash's error comes with the thread's "error" event: exited() reports it.
        if (!reply.crashed) this.exiting(reply.code);
        return;
      case "outcomes": {
        const size = packSize(reply);
        for (let i = 0; i < size; i++) this.finished(packedOutcome(reply, i), reply.first + size - 1);
        return;
      }
      default:
        this.finished(reply, reply.index);
    }
  }

  /**
   * The worker reported the outcome of a task. Replies come in order: those of the running batch, then
   * of the queued one once it runs. `last`: the last slot the same message reports on — the tasks up
   * to it report their own start.
   */
  private finished(reply: DoneReply | SkippedReply, last: number): void {
    const running = this.at(reply.index);
    if (!running) return;
    if (reply.type === "skipped" && !running.settled) {
      if (reply.notRun)
        this.settle(running).reject(new NotRun(`the task before "${running.job.task.name}" did not succeed`));
      // Skipped while held for an abort that let it go (a worker being stopped keeps it for exited()).
      else if (!this.terminating && !this.dead) this.giveBack(running);
    }
    let endedAt = Date.now();
    if (reply.type === "done") {
      // The worker forgot a spec whose rebuild failed: send it again next time.
      if (reply.specFailed) {
        this.known.delete(running.job.key);
        this.warm.delete(running.job.key);
      }
      endedAt = reply.endedAt;
      if (!running.settled && !running.stopReason && !this.stopAll) {
        const { startedAt, output, error, micros } = reply;
        this.reportStart(running, startedAt);
        const logs = running.logs;
        this.settle(running).resolve(
          error
            ? { ok: false, error, logs, startedAt, endedAt }
            : { ok: true, output: output!, logs, startedAt, endedAt },
          micros,
        );
        const next = this.nextToRun(running, !error);
        if (next && next.slot > last && !this.dead) this.handedOver(next, endedAt);
      }
    }
    const first = this.batch?.[0]?.slot;
    if (first !== undefined && running.slot >= first) this.scanFrom = running.slot - first + 1;
    if (--this.unreported === 0 && !this.dead && !this.terminating) {
      const queued = this.queued;
      this.queued = undefined;
      this.batch = undefined;
      // The worker goes straight on with the queued batch.
      if (queued) this.begin(queued, endedAt);
      this.onIdle(this);
    }
  }

  /** The task the worker goes on with after `done`: not cancelled, not a follow-up that cannot run. */
  private nextToRun(done: Running<J>, succeeded: boolean): Running<J> | undefined {
    // The batch `done` is in: the queued one when its outcomes come while the running batch is not
    // yet handed back (a worker being terminated for an abort), and the halves' slots then decrease.
    const batch = inBatch(this.batch, done.slot) === done ? this.batch : this.queued;
    if (!batch || inBatch(batch, done.slot) !== done) return undefined;
    let inputReady = succeeded;
    for (let i = done.slot - batch[0]!.slot + 1; i < batch.length; i++) {
      const running = batch[i]!;
      if (running.job.inputAt && !inputReady) continue;
      if (!running.settled) return running;
      inputReady = false;
    }
    return undefined;
  }

  /** A task handed over (`at`): it starts now unless the worker rebuilds its electron first (it then says when). */
  private handedOver(running: Running<J>, at: number): void {
    if (this.warm.has(running.job.key)) this.reportStart(running, at);
  }

  private reportStart(running: Running<J>, at: number): void {
    if (running.startedAt !== undefined || running.settled) return;
    running.startedAt = at;
    running.job.started(at);
  }

  private settle(running: Running<J>): J {
    running.settled = true;
    return running.job;
  }

  /** A task the worker skipped that can run elsewhere; a follow-up cannot (its input was this worker's). */
  private giveBack(running: Running<J>): void {
    const job = this.settle(running);
    if (job.inputAt) job.reject(new NotRun(`the task before "${job.task.name}" was held back`));
    else this.onGiveBack(this, [job]);
  }

  /** The thread is ending by process.exit(): the task running now (if any) failed, whatever else the exit finds. */
  private exiting(code: number): void {
    const died = [...(this.batch ?? []), ...(this.queued ?? [])].find(
      (running) => !running.settled && !running.stopReason && Atomics.load(this.control, running.slot) === STARTED,
    );
    if (died && !this.stopAll) this.died(died, code);
  }

  private exited(code: number): void {
    // Taken before the pool hears of the exit: the CPUs it frees may start another task at once, and
    // a task that died with the thread must not seem to have run past that one's start.
    const endedAt = Date.now();
    this.dead = true;
    // What the worker had kept without sending: those tasks ended (terminated for an abort, out of
    // memory, or a crash the thread could not report), and their outcomes stand.
    const kept = heldOutcomes(this.outcomes);
    if (kept) this.receive(kept);
    const batch = [...(this.batch ?? []), ...(this.queued ?? [])];
    this.batch = this.queued = undefined;
    const unstarted: J[] = [];
    let died: Running<J> | undefined;
    batch.forEach((running) => {
      if (running.settled) return;
      const state = Atomics.load(this.control, running.slot);
      if (this.stopAll) this.settle(running).reject(this.stopAll.reason);
      else if (running.stopReason) this.settle(running).reject(running.stopReason.reason);
      // It ran, and was aborted since: not run again elsewhere.
      else if (running.lateAbort && state === DONE) this.settle(running).reject(running.lateAbort.reason);
      // The worker marks a task DONE only once its outcome is sent or kept where this reads it.
      else if (state === DONE)
        this.settle(running).reject(new Error(`internal: the outcome of "${running.job.task.name}" was lost`));
      else if (
        state === QUEUED ||
        state === HELD ||
        // Skipped as a follow-up that cannot run (CANCELLED: the pool settles those it cancels), the
        // skip not reported.
        state === CANCELLED ||
        // Not expected: an abort holds the others before it terminates the worker.
        (state === STARTED && batch.some((r) => r.stopReason))
      ) {
        // Never started: run it elsewhere — except a follow-up, whose input was this worker's to give.
        if (running.job.inputAt)
          this.settle(running).reject(new NotRun(`the worker of "${running.job.task.name}" stopped`));
        else {
          running.settled = true;
          unstarted.push(running.job);
        }
      } else died ??= running;
    });
    this.onExit(this, unstarted);
    if (died) this.died(died, code, endedAt);
    else if (!batch.length && this.crash && this.lastElectron !== undefined && !this.stopAll) {
      process.emitWarning(
        `a local worker crashed between tasks (last electron: "${this.lastElectron}"): ${this.crash.message}`,
        { code: "VALENCE_WORKER_CRASHED" },
      );
    }
  }

  /** The task that was running when the thread ended fails: how it ended (worker-death.ts). */
  private died(running: Running<J>, code: number, endedAt = Date.now()): void {
    const error = deathError(running.job.task.name, code, this.crash, this.limitMB);
    this.settle(running).resolve(
      { ok: false, error, logs: running.logs, startedAt: running.startedAt ?? endedAt, endedAt },
      0,
    );
  }
}
