// The state of every node of a running dispatch, in typed arrays: status, attempts and timings per
// node, errors only for the few nodes that have one. What a client sees of a node (NodeState) is
// made from it on demand; output previews live in the store (see DispatchRun.nodeStates). Where a
// task ran (worker, time queued) and why it waits are sparse maps: only some executors report them.
import { STATUSES, type NodeState, type ValuePreview, type WorkerInfo } from "@valence/schema";
import type { TaskError, TaskOutcome } from "../executors/executor";

export const PENDING = 1;
export const RUNNING = 2;
export const COMPLETED = 3;
export const FAILED = 4;
export const CANCELLED = 5;

export class NodeTable {
  readonly status: Uint8Array;
  readonly attempts: Int32Array;
  /** Milliseconds since the epoch; NaN when unset. */
  readonly startedAt: Float64Array;
  readonly endedAt: Float64Array;
  /** 1 when the output was taken from an earlier dispatch instead of running. */
  readonly reused: Uint8Array;
  /** The error a node failed with, or its last attempt's while it waits for a retry. */
  readonly errors = new Map<number, TaskError>();
  /** The worker that ran the node's last attempt, where the executor says (bullmq). */
  readonly workers = new Map<number, WorkerInfo>();
  /** How long the last attempt waited for a worker, in ms, where the executor says. */
  readonly queuedMs = new Map<number, number>();
  /** Live only, never stored: why the executor holds the node's task instead of running it. */
  readonly waiting = new Map<number, string>();

  constructor(readonly size: number) {
    this.status = new Uint8Array(size).fill(PENDING);
    this.attempts = new Int32Array(size);
    this.startedAt = new Float64Array(size).fill(NaN);
    this.endedAt = new Float64Array(size).fill(NaN);
    this.reused = new Uint8Array(size);
  }

  /** The node as clients see it; `output` is its preview when it has one. */
  state(id: number, output?: ValuePreview): NodeState {
    const state: NodeState = { id, status: STATUSES[this.status[id]!]!, attempts: this.attempts[id]! };
    const startedAt = this.startedAt[id]!;
    const endedAt = this.endedAt[id]!;
    const error = this.errors.get(id);
    if (!Number.isNaN(startedAt)) state.startedAt = startedAt;
    if (!Number.isNaN(endedAt)) state.endedAt = endedAt;
    if (error) state.error = error;
    if (output) state.output = output;
    if (this.reused[id]) state.reused = true;
    if (this.workers.size || this.queuedMs.size) this.placeOf(id, state);
    if (this.waiting.size) {
      const reason = this.waiting.get(id);
      if (reason !== undefined) state.waiting = reason;
    }
    return state;
  }

  /** Copies the node's worker and time queued, if it has them, into `state`. */
  placeOf(id: number, state: { worker?: WorkerInfo; queuedMs?: number }): void {
    const worker = this.workers.get(id);
    if (worker) state.worker = worker;
    const queuedMs = this.queuedMs.get(id);
    if (queuedMs !== undefined) state.queuedMs = queuedMs;
  }

  /**
   * Where the node's last attempt ran, from its outcome: copied as the schema has it (a plugin's
   * outcome may carry more), the time queued never negative (another machine's clock).
   */
  placeFrom(id: number, outcome: Pick<TaskOutcome, "worker" | "queuedMs">): void {
    const w = outcome.worker;
    const queuedMs = outcome.queuedMs === undefined ? undefined : Math.max(0, outcome.queuedMs);
    this.setPlace(id, w && { host: String(w.host), pid: Number(w.pid), id: String(w.id) }, queuedMs);
  }

  /** Sets, or with undefined clears, why the node waits; true when that changed. */
  setWaiting(id: number, reason: string | undefined): boolean {
    if (reason === undefined) return this.waiting.delete(id);
    if (this.waiting.get(id) === reason) return false;
    this.waiting.set(id, reason);
    return true;
  }

  /** The worker and time queued of the node's last attempt. */
  setPlace(id: number, worker: WorkerInfo | undefined, queuedMs: number | undefined): void {
    if (worker) this.workers.set(id, worker);
    else this.workers.delete(id);
    if (queuedMs !== undefined) this.queuedMs.set(id, queuedMs);
    else this.queuedMs.delete(id);
  }
}
