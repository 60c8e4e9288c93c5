/* Generated from the JSON Schema beside it by `npm run schema:generate`. Do not edit. */

/**
 * electron: a task; sublattice: an electron wrapping a lattice, built at run time; parameter: a literal argument; list / dict: an array or plain object containing futures; getitem / getattr: index or property access on a future.
 */
export type NodeKind = "electron" | "sublattice" | "parameter" | "list" | "dict" | "getitem" | "getattr";
export type Base64 = string;
export type TransportOutputDocument =
  | {
      kind: "future";
      node: number;
    }
  | {
      kind: "array";
      items: TransportOutputDocument[];
    }
  | {
      kind: "object";
      entries: {
        [k: string]: TransportOutputDocument;
      };
    }
  | {
      kind: "value";
      value: ValuePreview;
      data: Base64;
    };
/**
 * A volume name: letters, digits, '.', '_' and '-'; never a path.
 */
export type VolumeName = string;
/**
 * Websocket, client → dispatcher. subscribe: a snapshot (or, with afterSeq, exactly the updates after it), then live updates.
 */
export type ClientMessage =
  | {
      type: "subscribe";
      dispatchId: string;
      afterSeq?: number;
    }
  | {
      type: "unsubscribe";
      dispatchId: string;
    };
/**
 * Websocket, dispatcher → client. seq numbers are dense per dispatch: a client that saw seq n and resubscribes with afterSeq n misses nothing.
 */
export type ServerMessage =
  | {
      type: "snapshot";
      dispatchId: string;
      seq: number;
      dispatch: DispatchSummary;
      nodes: NodeState[];
    }
  | UpdateMessage
  | {
      type: "batch";
      dispatchId: string;
      /**
       * Updates that were ready at once, in seq order: one frame instead of many, so a burst does not flood the client.
       *
       * @minItems 1
       */
      updates: [UpdateMessage, ...UpdateMessage[]];
    }
  | {
      type: "error";
      message: string;
      dispatchId?: string;
    };
export type Status = "NEW_OBJECT" | "PENDING" | "RUNNING" | "COMPLETED" | "FAILED" | "CANCELLED";

/**
 * Messages between clients (kernels, scripts, the browser) and the dispatcher. HTTP bodies under /api/v1 and websocket messages on /api/v1/events. Every message is validated on arrival.
 */
export interface DispatcherProtocol {
  dispatchRequest?: DispatchRequest;
  redispatchRequest?: RedispatchRequest;
  cancelRequest?: CancelRequest;
  clientMessage?: ClientMessage;
  serverMessage?: ServerMessage;
  dispatchSummary?: DispatchSummary;
  dispatchDetail?: DispatchDetail;
  nodeDetail?: NodeDetail;
  errorResponse?: ErrorResponse;
  transportGraph?: TransportGraphDocument;
}
/**
 * POST /api/v1/dispatches. The client built the graph (the dry run) and serialized it; the lattice travels too, so the dispatcher can redispatch and resume without the client.
 */
export interface DispatchRequest {
  graph: TransportGraphDocument;
  /**
   * The serialized lattice (LatticeSpec).
   */
  lattice: {};
  /**
   * v8-serialized arguments array, base64.
   */
  inputs: string;
  volume?: VolumeName;
}
/**
 * A built graph as it leaves the client: electrons serialized once (functions by value), literal values v8-serialized (base64).
 */
export interface TransportGraphDocument {
  version: 1;
  latticeName: string;
  /**
   * Items: An ElectronSpec (kernel/src/workflow/serialize).
   */
  electrons: {}[];
  /**
   * @maxItems 5000000
   */
  nodes: TransportNodeDocument[];
  edges: DagEdge[];
  output: TransportOutputDocument;
}
export interface TransportNodeDocument {
  id: number;
  kind: NodeKind;
  name: string;
  electron?: number;
  options?: ElectronOptionsDocument;
  value?: Base64;
  key?: string | number;
}
/**
 * The electron options that matter outside the kernel. Hooks are listed by function name.
 */
export interface ElectronOptionsDocument {
  executor?: string;
  resources?: Resources;
  retries?: number;
  timeoutMs?: number;
  deps?: {
    npm?: string[];
  };
  callBefore?: string[];
  callAfter?: string[];
  cache?: boolean;
  outputLength?: number;
}
export interface Resources {
  cpus?: number;
  memoryMB?: number;
  gpus?: number;
}
/**
 * data: the source's output is an input of the target, at argument/element `position` or under object `key`; wait: the target starts only after the source finished, no data flows.
 */
export interface DagEdge {
  source: number;
  target: number;
  kind: "data" | "wait";
  position?: number;
  key?: string;
}
/**
 * A short, human-readable rendering of a value; never the value itself.
 */
export interface ValuePreview {
  /**
   * typeof, or the constructor name for objects (Array, Map, Date...).
   */
  type: string;
  preview: string;
}
/**
 * POST /api/v1/dispatches/{id}/redispatch: rebuild the graph from the stored lattice with new inputs (or the stored ones).
 */
export interface RedispatchRequest {
  inputs?: Base64;
  reusePreviousResults?: boolean;
}
/**
 * POST /api/v1/dispatches/{id}/cancel: the whole dispatch, or only the listed nodes (and what depends on them).
 */
export interface CancelRequest {
  /**
   * @maxItems 100000
   */
  nodeIds?: number[];
}
export interface DispatchSummary {
  id: string;
  latticeName: string;
  status: Status;
  createdAt: number;
  startedAt?: number;
  endedAt?: number;
  error?: TaskErrorDocument;
  parentId?: string;
  parentNode?: number;
  volume?: string;
}
export interface TaskErrorDocument {
  name: string;
  message: string;
  stack?: string;
}
export interface NodeState {
  id: number;
  status: Status;
  attempts: number;
  startedAt?: number;
  endedAt?: number;
  error?: TaskErrorDocument;
  output?: ValuePreview;
  reused?: boolean;
  worker?: WorkerInfo;
  /**
   * How long the last attempt waited for a worker before it started, in ms.
   */
  queuedMs?: number;
  /**
   * Live only (never stored): why the executor holds the task instead of running it. Absent once it starts.
   */
  waiting?: string;
}
/**
 * The worker process that ran a node's last attempt, for executors that run tasks on other machines (bullmq).
 */
export interface WorkerInfo {
  host: string;
  pid: number;
  id: string;
}
export interface UpdateMessage {
  type: "update";
  dispatchId: string;
  seq: number;
  node?: NodeState;
  dispatch?: DispatchSummary;
}
/**
 * GET /api/v1/dispatches/{id}: the dispatch, every node's state, and the result once completed.
 */
export interface DispatchDetail {
  dispatch: DispatchSummary;
  nodes: NodeState[];
  seq: number;
  /**
   * v8-serialized result, base64, when COMPLETED.
   */
  result?: string;
}
/**
 * GET /api/v1/dispatches/{id}/nodes/{nodeId}: one node with its output and logs.
 */
export interface NodeDetail {
  node: NodeState;
  name?: string;
  output?: Base64;
  logs: {
    stream: "stdout" | "stderr";
    text: string;
    at: number;
    attempt: number;
  }[];
}
export interface ErrorResponse {
  error: string;
  details?: string[];
}
