// Where the BullMQ executor keeps tasks that no live worker can run yet: never enqueued blindly,
// held with a human reason ("no worker with 1 GPU is connected…"), looked at again every 500 ms
// against a fresh list of live workers, and released to be enqueued as soon as one can run them.
// Also the executor's cached list of live workers (read at most once a second per submit burst).
import type { Entry } from "./entry";
import type { WorkerRecord } from "./protocol";
import { waitingReason, type Needs } from "./routing";

/** How often held tasks look again. */
const POLL_MS = 500;

export class WaitingRoom {
  private readonly held = new Set<Entry>();
  private list: { at: number; workers: WorkerRecord[] } | undefined;
  private reading: Promise<WorkerRecord[]> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly logged = new Map<string, number>();

  constructor(
    private readonly queue: string,
    private readonly read: () => Promise<WorkerRecord[]>,
    private readonly release: (entry: Entry) => void,
    private readonly log: (line: string) => void,
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
  }

  drop(entry: Entry): void {
    this.held.delete(entry);
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
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
        this.held.delete(entry);
        continue;
      }
      const reason = this.reason(entry.needs, workers);
      if (reason) {
        if (reason !== entry.reason) entry.onWaiting?.(reason);
        entry.reason = reason;
        continue;
      }
      this.held.delete(entry);
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
