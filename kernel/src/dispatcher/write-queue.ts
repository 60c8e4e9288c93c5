// Persistence is batched: changes are written in one SQLite transaction per commit, and only after it
// commits are their events sent to subscribers — so a client never sees a node done that a crash
// could lose. A commit follows the first change at once when the queue was quiet, else at most one
// per COMMIT_INTERVAL_MS: under load a commit carries hundreds of tasks instead of one or two.
import type { ServerMessage } from "@valence/schema";
import type { LogBatch } from "./store/records";
import type { Store, StoreWriter } from "./store/store";

const COMMIT_INTERVAL_MS = 5;

/** Something with changes to write at the next commit (a running dispatch's recorder). */
export interface PendingWrites {
  readonly dispatchId: string;
  /** Writes its changes; returns their events as messages when `messages` is set. */
  write(writer: StoreWriter, messages: boolean): ServerMessage[];
  /** What the last `write` wrote is committed. */
  committed(): void;
}

export class WriteQueue {
  private sources: PendingWrites[] = [];
  private logs: LogBatch[] = [];
  private afterCommit: Array<() => void> = [];
  private scheduled = false;
  private lastCommit = -Infinity;

  constructor(
    private readonly store: Store,
    private readonly publish: (dispatchId: string, messages: readonly ServerMessage[]) => void,
    /** Whether anyone listens to a dispatch's events (else they are only stored). */
    private readonly listened: (dispatchId: string) => boolean,
  ) {}

  /** `source` has changes: its `write` runs at the next commit (it calls this once per commit). */
  pending(source: PendingWrites): void {
    this.sources.push(source);
    this.schedule();
  }

  addLogs(logs: LogBatch): void {
    if (logs.lines.length === 0) return;
    this.logs.push(logs);
    this.schedule();
  }

  /** Runs `callback` once everything queued so far is committed. */
  onCommitted(callback: () => void): void {
    this.afterCommit.push(callback);
    this.schedule();
  }

  /** Writes everything queued now, in one transaction, then publishes its events. */
  flush(): void {
    this.scheduled = false;
    if (!this.sources.length && !this.logs.length && !this.afterCommit.length) return;
    const sources = this.sources;
    const logs = this.logs;
    const callbacks = this.afterCommit;
    this.sources = [];
    this.logs = [];
    this.afterCommit = [];
    const messages = this.store.transaction((writer) => {
      const out = sources.map((source) => source.write(writer, this.listened(source.dispatchId)));
      for (const l of logs) writer.logs(l);
      return out;
    });
    this.lastCommit = performance.now();
    for (const source of sources) source.committed();
    sources.forEach((source, i) => messages[i]!.length && this.publish(source.dispatchId, messages[i]!));
    for (const callback of callbacks) callback();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const wait = this.lastCommit + COMMIT_INTERVAL_MS - performance.now();
    if (wait <= 0) setImmediate(() => this.flush());
    else setTimeout(() => this.flush(), wait);
  }
}
