// The state of every node of a running dispatch, in typed arrays: status, attempts and timings per
// node, errors only for the few nodes that have one. What a client sees of a node (NodeState) is
// made from it on demand; output previews live in the store (see DispatchRun.nodeStates).
import type { NodeState, Status, ValuePreview } from "@valence/schema";
import type { TaskError } from "../executors/executor";

export const STATUSES: readonly Status[] = ["NEW_OBJECT", "PENDING", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"];
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
    return state;
  }
}
