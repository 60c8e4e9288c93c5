// Where the BullMQ executor keeps tasks that no live worker can run yet: never enqueued blindly,
// held with a human reason ("no worker with 1 GPU is connected…"), looked at again every 500 ms
// against a fresh list of live workers, and released to be enqueued as soon as one can run them —
// or, with a wait deadline (`waitTimeoutMs`), failed once held that long (NoWorkerError). Only the
// time held here counts: that is the "no live worker can take it" state; a task queued in Redis
// behind busy workers able to run it is not in it. Also the executor's cached list of live workers
// (read at most once a second per submit burst).
import type { TaskOutcome } from "../executor";
import { within, type Entry } from "./entry";
import type { WorkerRecord } from "./protocol";
import { waitingReason, type Needs } from "./routing";

/** How often held tasks look again. */
const POLL_MS = 500;
/** How long the last look at the live workers, at a deadline, may take. */
const FRESH_LOOK_MS = 2_000;
/** setTimeout's longest delay (a longer one fires at once): longer deadlines are re-armed. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface Deadline {
  /** How long a task may be held, in ms; undefined: for ever. */
  readonly timeoutMs: number | undefined;
  /** Settles a held task whose deadline passed with its failed outcome. */
  readonly expire: (entry: Entry, outcome: TaskOutcome) => void;
}

export class WaitingRoom {
  private readonly held = new Set<Entry>();
  private list: { at: number; workers: WorkerRecord[] } | undefined;
  private reading: Promise<WorkerRecord[]> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly logged = new Map<string, number>();
  /** Held tasks' deadlines: when each was held, and its timer. */
  private readonly deadlines = new Map<Entry, { heldAt: number; timer: NodeJS.Timeout }>();

  constructor(
    private readonly queue: string,
    private readonly read: () => Promise<WorkerRecord[]>,
    private readonly release: (entry: Entry) => void,
    private readonly log: (line: string) => void,
    private readonly deadline: Deadline = { timeoutMs: undefined, expire: () => undefined },
  ) {}

  /** The live workers, read again when the cached list is older than `maxAgeMs`. */
  workers(maxAgeMs: number): Promise<WorkerRecord[]> {
    const cached = this.list;
    if (cached && Date.now() - cached.at <= maxAgeMs) return Promise.resolve(cached.workers);
    this.reading ??= this.read()
      .then((workers) => {
        this.list = { at: Date.now(), workers };
        return workers;
      })
      .finally(() => (this.reading = undefined));
    return this.reading;
  }

  /** The last list read, if any. */
  get known(): readonly WorkerRecord[] | undefined {
    return this.list?.workers;
  }

  /** Why no live worker can run a task with these needs, or undefined when one can. */
  reason(needs: Needs, workers: readonly WorkerRecord[]): string | undefined {
    return waitingReason(this.queue, needs, workers);
  }

  hold(entry: Entry, reason: string): void {
    entry.state = "waiting";
    entry.reason = reason;
    this.held.add(entry);
    this.note(entry);
    entry.onWaiting?.(reason);
    this.timer ??= setInterval(() => void this.poll(), POLL_MS);
    if (this.deadline.timeoutMs !== undefined) this.arm(entry, Date.now());
  }

  drop(entry: Entry): void {
    this.held.delete(entry);
    this.disarm(entry);
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    for (const entry of [...this.deadlines.keys()]) this.disarm(entry);
  }

  private arm(entry: Entry, heldAt: number): void {
    const left = heldAt + this.deadline.timeoutMs! - Date.now();
    const timer = setTimeout(() => void this.expire(entry), Math.max(0, Math.min(left, MAX_TIMER_MS)));
    // The poll timer keeps the process alive while tasks are held; a deadline need not.
    timer.unref();
    this.deadlines.set(entry, { heldAt, timer });
  }

  private disarm(entry: Entry): void {
    clearTimeout(this.deadlines.get(entry)?.timer);
    this.deadlines.delete(entry);
  }

  /** A held task's deadline passed: one last look at the live workers, then fail it if none can run it. */
  private async expire(entry: Entry): Promise<void> {
    const deadline = this.deadlines.get(entry);
    if (!deadline || !this.held.has(entry)) return;
    const timeoutMs = this.deadline.timeoutMs!;
    if (Date.now() - deadline.heldAt < timeoutMs) return this.arm(entry, deadline.heldAt);
    let reason: string | undefined = entry.reason;
    try {
      reason = this.reason(entry.needs, await within(this.workers(0), FRESH_LOOK_MS));
    } catch {
      // Redis out of reach: no worker could take it from there either; the last reason stands.
    }
    if (entry.state !== "waiting" || !this.held.has(entry)) return;
    this.drop(entry);
    if (!reason) {
      entry.onWaiting?.(undefined);
      return this.release(entry);
    }
    const now = Date.now();
    const waited = now - deadline.heldAt;
    const message = `electron "${entry.task.name}" waited ${waited} ms for a worker: ${reason} (waitTimeoutMs ${timeoutMs})`;
    const { name, dispatchId, nodeId } = entry.task;
    this.log(`electron "${name}" (dispatch ${dispatchId}, node ${nodeId}) failed: no worker in ${waited} ms`);
    this.deadline.expire(entry, {
      ok: false,
      error: { name: "NoWorkerError", message },
      logs: [],
      startedAt: now,
      endedAt: now,
    });
  }

  private async poll(): Promise<void> {
    if (!this.held.size) return this.close();
    let workers: WorkerRecord[];
    try {
      workers = await this.workers(0);
    } catch {
      return;
    }
    for (const entry of [...this.held]) {
      if (entry.state !== "waiting") {
        this.drop(entry);
        continue;
      }
      const reason = this.reason(entry.needs, workers);
      if (reason) {
        if (reason !== entry.reason) entry.onWaiting?.(reason);
        entry.reason = reason;
        continue;
      }
      this.drop(entry);
      entry.onWaiting?.(undefined);
      this.release(entry);
    }
  }

  /** One log line per distinct reason a minute. */
  private note(entry: Entry): void {
    const now = Date.now();
    if (now - (this.logged.get(entry.reason) ?? 0) < 60_000) return;
    if (this.logged.size > 100) this.logged.clear();
    this.logged.set(entry.reason, now);
    const { name, dispatchId, nodeId } = entry.task;
    this.log(`electron "${name}" (dispatch ${dispatchId}, node ${nodeId}) waits: ${entry.reason}`);
  }
}
