// Persistence is batched: every change made in one turn of the event loop is written in one SQLite
// transaction, and only after it commits are the events sent to subscribers — so a client never sees
// a node done that a crash could lose.
import type { DispatchEvent, DispatchPatch, LogBatch, NewDispatch, NodePatch, WriteBatch } from "./store/records";
import type { Store } from "./store/store";

export class WriteQueue {
  private newDispatches: NewDispatch[] = [];
  private dispatches: DispatchPatch[] = [];
  // Keyed by dispatch and node: a node that starts and finishes within one tick costs one UPDATE.
  private nodes = new Map<string, NodePatch>();
  private events: DispatchEvent[] = [];
  private logs: LogBatch[] = [];
  private scheduled = false;
  private afterCommit: Array<() => void> = [];

  constructor(
    private readonly store: Store,
    private readonly publish: (events: readonly DispatchEvent[]) => void,
  ) {}

  addDispatch(dispatch: NewDispatch): void {
    this.newDispatches.push(dispatch);
    this.schedule();
  }

  patchDispatch(patch: DispatchPatch): void {
    this.dispatches.push(patch);
    this.schedule();
  }

  patchNode(patch: NodePatch): void {
    const key = `${patch.dispatchId}\u0000${patch.nodeId}`;
    const earlier = this.nodes.get(key);
    // Each patch carries the node's whole current state, so the later one wins field by field.
    if (!earlier) this.nodes.set(key, patch);
    else {
      const merged: { -readonly [K in keyof NodePatch]: NodePatch[K] } = { ...earlier, ...patch };
      if (!patch.error) delete merged.error; // an absent error means it was cleared
      this.nodes.set(key, merged);
    }
    this.schedule();
  }

  addEvent(event: DispatchEvent): void {
    this.events.push(event);
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
    const empty =
      !this.newDispatches.length &&
      !this.dispatches.length &&
      !this.nodes.size &&
      !this.events.length &&
      !this.logs.length;
    if (empty && !this.afterCommit.length) return;
    const batch: WriteBatch = {
      newDispatches: this.newDispatches,
      dispatches: this.dispatches,
      nodes: [...this.nodes.values()],
      events: this.events,
      logs: this.logs,
    };
    const callbacks = this.afterCommit;
    this.newDispatches = [];
    this.dispatches = [];
    this.nodes = new Map();
    this.events = [];
    this.logs = [];
    this.afterCommit = [];
    this.store.apply(batch);
    if (batch.events!.length) this.publish(batch.events!);
    for (const callback of callbacks) callback();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }
}
