// What the dispatcher keeps about dispatches and nodes: the rows of its SQLite store, as the rest of
// the dispatcher sees them. Values (inputs, outputs, results) are v8-serialized bytes.
import type { NodeKind, Status, ValuePreview, WorkerInfo } from "@valence/schema";
import type { LogLine, TaskError } from "../../executors/executor";

export interface DispatchRecord {
  readonly id: string;
  readonly latticeName: string;
  readonly status: Status;
  /** Milliseconds since the epoch. */
  readonly createdAt: number;
  readonly startedAt?: number;
  readonly endedAt?: number;
  readonly error?: TaskError;
  /** Set for a sublattice's child dispatch. */
  readonly parentId?: string;
  readonly parentNode?: number;
  /** Name of the volume attached at dispatch. */
  readonly volume?: string;
  /** The trigger that made it, if one did. */
  readonly triggerId?: string;
}

export interface NodeRecord {
  readonly dispatchId: string;
  readonly nodeId: number;
  readonly kind: NodeKind;
  readonly name: string;
  readonly status: Status;
  readonly attempts: number;
  readonly startedAt?: number;
  readonly endedAt?: number;
  readonly error?: TaskError;
  readonly outputPreview?: ValuePreview;
  /** True when an output is stored (inline or in a file). */
  readonly hasOutput: boolean;
  /** True when the output was taken from an earlier dispatch instead of running. */
  readonly reused: boolean;
  /** The worker that ran the last attempt, where the executor said (bullmq). */
  readonly worker?: WorkerInfo;
  /** How long the last attempt waited for a worker, in ms, where the executor said. */
  readonly queuedMs?: number;
}

export interface NewDispatch {
  readonly id: string;
  readonly latticeName: string;
  /** The transport graph as JSON text; with `graphInRequest`, the dispatch request holding it. */
  readonly graph: string;
  /** `graph` is the dispatch request as received, the graph its `graph` member (not serialized again). */
  readonly graphInRequest?: boolean;
  /** The serialized lattice (LatticeSpec) as JSON text, for redispatch and resume. */
  readonly lattice: string;
  /** The lattice's arguments array, serialized. */
  readonly inputs: Uint8Array;
  /**
   * Every node; `status` defaults to NEW_OBJECT (parameters are COMPLETED from the start). Read once,
   * when written: an iterable may hand out one reused object.
   */
  readonly nodes: Iterable<{
    readonly nodeId: number;
    readonly kind: NodeKind;
    readonly name: string;
    readonly status?: Status;
  }>;
  readonly createdAt: number;
  readonly parentId?: string;
  readonly parentNode?: number;
  readonly volume?: string;
  readonly triggerId?: string;
}

export interface DispatchPatch {
  readonly id: string;
  readonly status?: Status;
  readonly startedAt?: number;
  readonly endedAt?: number;
  readonly error?: TaskError;
  /** The lattice's result, serialized. */
  readonly result?: Uint8Array;
}

export interface NodePatch {
  readonly dispatchId: string;
  readonly nodeId: number;
  readonly status?: Status;
  readonly attempts?: number;
  readonly startedAt?: number;
  readonly endedAt?: number;
  /** Unlike most fields, leaving `error` out clears it: each patch carries the node's whole state. */
  readonly error?: TaskError;
  readonly output?: Uint8Array;
  readonly outputPreview?: ValuePreview;
  readonly reused?: boolean;
  /** Content key of a completed electron node: its code and inputs (see dispatch-run.ts). */
  readonly cacheKey?: string;
  /** Where the last attempt ran; like `error`, leaving these out clears them (the whole state, again). */
  readonly worker?: WorkerInfo;
  readonly queuedMs?: number;
}

/** One change to a dispatch, in the order clients see it; `seq` is dense per dispatch from 1. */
export interface DispatchEvent {
  readonly dispatchId: string;
  readonly seq: number;
  /** JSON-compatible event body (schema/protocol.schema.json). */
  readonly body: unknown;
}

export interface LogBatch {
  readonly dispatchId: string;
  readonly nodeId: number;
  readonly attempt: number;
  readonly lines: readonly LogLine[];
}

/** Everything that changed in one scheduler tick, written in one transaction. */
export interface WriteBatch {
  readonly newDispatches?: readonly NewDispatch[];
  readonly dispatches?: readonly DispatchPatch[];
  readonly nodes?: readonly NodePatch[];
  readonly events?: readonly DispatchEvent[];
  readonly logs?: readonly LogBatch[];
}
