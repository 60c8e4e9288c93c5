/* Generated from the JSON Schema beside it by `npm run schema:generate`. Do not edit. */

/**
 * Functions serialized by value (kernel/src/workflow/serialize/spec.ts); references between them are indexes into this array, checked by the dispatcher.
 *
 * @maxItems 100000
 *
 * This interface was referenced by `DispatcherProtocol`'s JSON-Schema
 * via the `definition` "serializedFunctions".
 */
export type SerializedFunctionsDocument = {
  name: string;
  source: string;
  bindings: {
    [k: string]: {
      kind: "function" | "electron" | "lattice" | "import" | "value" | "structure";
    };
  };
  origin?: {};
}[];
/**
 * time: every `everyMs` milliseconds, or on a `cron` schedule (5 or 6 fields, the dispatcher's time zone); dir: when files under `path` (absolute, on the dispatcher's machine) are added, changed or removed, once they have been quiet for `debounceMs`.
 *
 * This interface was referenced by `DispatcherProtocol`'s JSON-Schema
 * via the `definition` "triggerSpec".
 */
export type TriggerSpec =
  | {
      kind: "time";
      everyMs: number;
    }
  | {
      kind: "time";
      cron: string;
    }
  | {
      kind: "dir";
      path: string;
      /**
       * @minItems 1
       */
      events?: ["add" | "change" | "unlink", ...("add" | "change" | "unlink")[]];
      debounceMs?: number;
    };
/**
 * POST /api/v1/delete: delete finished dispatches for good (with their sublattices' dispatches, logs and outputs): the listed ones, or with `all` every finished one (purge). `volumes`: also the volumes they name that no remaining dispatch names. An unfinished dispatch listed is refused (409); `all` keeps unfinished ones.
 *
 * This interface was referenced by `DispatcherProtocol`'s JSON-Schema
 * via the `definition` "deleteRequest".
 */
export type DeleteRequest =
  | {
      /**
       * @minItems 1
       * @maxItems 1000
       */
      dispatchIds: [string, ...string[]];
      volumes?: boolean;
    }
  | {
      all: true;
      volumes?: boolean;
    };
/**
 * Websocket, client → dispatcher. subscribe: a snapshot (or, with afterSeq, exactly the updates after it), then live updates.
 *
 * This interface was referenced by `DispatcherProtocol`'s JSON-Schema
 * via the `definition` "clientMessage".
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
 *
 * This interface was referenced by `DispatcherProtocol`'s JSON-Schema
 * via the `definition` "serverMessage".
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
 * This interface was referenced by `DispatcherProtocol`'s JSON-Schema
 * via the `definition` "transportOutput".
 */
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
      data: string;
    };
/**
 * electron: a task; sublattice: an electron wrapping a lattice, built at run time; parameter: a literal argument; list / dict: an array or plain object containing futures; getitem / getattr: index or property access on a future.
 */
export type NodeKind = "electron" | "sublattice" | "parameter" | "list" | "dict" | "getitem" | "getattr";
/**
 * Browser → Valence kernel, over the "valence.dispatcher" comm: where the dispatcher is ("connection", also any message without a type), or cancel a dispatch or some of its nodes (the kernel holds the token that may). A requestId comes back in the answer.
 *
 * This interface was referenced by `DispatcherProtocol`'s JSON-Schema
 * via the `definition` "kernelCommRequest".
 */
export type KernelCommRequest =
  | {
      type?: "connection";
      requestId?: number;
    }
  | {
      type: "cancel";
      dispatchId: string;
      nodeIds?: number[];
      requestId?: number;
    };
/**
 * Valence kernel → browser, over the "valence.dispatcher" comm: the dispatcher's address and read credential (also sent unasked when the comm opens), an error, or a done cancel.
 *
 * This interface was referenced by `DispatcherProtocol`'s JSON-Schema
 * via the `definition` "kernelCommReply".
 */
export type KernelCommReply =
  | {
      type: "connection";
      url: string;
      /**
       * Lets the page GET and subscribe, nothing else.
       */
      readToken: string;
      requestId?: number;
    }
  | {
      type: "error";
      message: string;
      requestId?: number;
    }
  | {
      type: "cancelled";
      dispatchId: string;
      requestId?: number;
    };

/**
 * Messages between clients (kernels, scripts, the browser) and the dispatcher. HTTP bodies under /api/v1 and websocket messages on /api/v1/events. Every message is validated on arrival.
 */
export interface DispatcherProtocol {
  dispatchRequest?: DispatchRequest;
  redispatchRequest?: RedispatchRequest;
  cancelRequest?: CancelRequest;
  dispatchInputs?: DispatchInputs;
  triggerList?: TriggerList;
  triggerRecord?: TriggerRecord;
  dispatchOutputs?: DispatchOutputs;
  deleteRequest?: DeleteRequest;
  deleteReply?: DeleteReply;
  clientMessage?: ClientMessage;
  serverMessage?: ServerMessage;
  dispatchSummary?: DispatchSummary;
  dispatchDetail?: DispatchDetail;
  columnarDispatchDetail?: ColumnarDispatchDetail;
  nodeDetail?: NodeDetail;
  errorResponse?: ErrorResponse;
  transportGraph?: TransportGraphDocument;
  transportGraphV1?: TransportGraphV1Document;
}
/**
 * POST /api/v1/dispatches. The client built the graph (the dry run) and serialized it; the lattice travels too, so the dispatcher can redispatch and resume without the client.
 *
 * This interface was referenced by `DispatcherProtocol`'s JSON-Schema
 * via the `definition` "dispatchRequest".
 */
export interface DispatchRequest {
  /**
   * The graph in columns (version 2); version 1, an object per node and edge, is still read from older clients.
   */
  graph: TransportGraphDocument | TransportGraphV1Document;
  lattice: LatticeSpecDocument;
  /**
   * v8-serialized arguments array, base64.
   */
  inputs: string;
  /**
   * A volume name: letters, digits, '.', '_' and '-'; never a path.
   */
  volume?: string;
  /**
   * Triggers that dispatch the lattice again (with the same inputs) while they run: kept by the dispatcher, across its restarts, until stopped.
   *
   * @maxItems 16
   */
  triggers?:
    | []
    | [TriggerSpec]
    | [TriggerSpec, TriggerSpec]
    | [TriggerSpec, TriggerSpec, TriggerSpec]
    | [TriggerSpec, TriggerSpec, TriggerSpec, TriggerSpec]
    | [TriggerSpec, TriggerSpec, TriggerSpec, TriggerSpec, TriggerSpec]
    | [TriggerSpec, TriggerSpec, TriggerSpec, TriggerSpec, TriggerSpec, TriggerSpec]
    | [TriggerSpec, TriggerSpec, TriggerSpec, TriggerSpec, TriggerSpec, TriggerSpec, TriggerSpec]
    | [TriggerSpec, TriggerSpec, TriggerSpec, TriggerSpec, TriggerSpec, TriggerSpec, TriggerSpec, TriggerSpec]
    | [
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec
      ]
    | [
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec
      ]
    | [
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec
      ]
    | [
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec
      ]
    | [
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec
      ]
    | [
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec
      ]
    | [
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec
      ]
    | [
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec,
        TriggerSpec
      ];
}
/**
 * The serialized lattice (a LatticeSpec, kernel/src/workflow/serialize/spec.ts).
 *
 * This interface was referenced by `DispatcherProtocol`'s JSON-Schema
 * via the `definition` "latticeSpec".
 */
export interface LatticeSpecDocument {
  version: 1;
  functions: SerializedFunctionsDocument;
  lattice: LatticeReferenceDocument;
}
/**
 * This interface was referenced by `DispatcherProtocol`'s JSON-Schema
 * via the `definition` "latticeReference".
 */
export interface LatticeReferenceDocument {
  name: string;
  options: {};
  /**
   * Index of the lattice body in the spec's functions.
   */
  fn: number;
}
/**
 * POST /api/v1/dispatches/{id}/redispatch: rebuild the graph from the stored lattice with new inputs (or the stored ones).
 *
 * This interface was referenced by `DispatcherProtocol`'s JSON-Schema
 * via the `definition` "redispatchRequest".
 */
export interface RedispatchRequest {
  inputs?: string;
  reusePreviousResults?: boolean;
  /**
   * New code for the electrons of these names (every call of each); the others keep their stored code.
   */
  replaceElectrons?: {
    [k: string]: ElectronSpecDocument;
  };
}
/**
 * An ElectronSpec (kernel/src/workflow/serialize/spec.ts): what a task runs.
 *
 * This interface was referenced by `DispatcherProtocol`'s JSON-Schema
 * via the `definition` "electronSpec".
 */
export interface ElectronSpecDocument {
  version: 1;
  functions: SerializedFunctionsDocument;
  electron: {
    name: string;
    options: {};
    /**
     * Index of the electron's function in the spec's functions.
     */
    fn: number;
    /**
     * @maxItems 10000
     */
    callBefore: number[];
    /**
     * @maxItems 10000
     */
    callAfter: number[];
    sublattice?: LatticeReferenceDocument;
  };
}
/**
 * POST /api/v1/dispatches/{id}/cancel: the whole dispatch, or only the listed nodes (and what depends on them).
 *
 * This interface was referenced by `DispatcherProtocol`'s JSON-Schema
 * via the `definition` "cancelRequest".
 */
export interface CancelRequest {
  /**
   * @maxItems 100000
   */
  nodeIds?: number[];
}
/**
 * GET /api/v1/dispatches/{id}/inputs: the arguments the dispatch was given. (GET /api/v1/dispatches/{id}/summary answers a dispatchSummary.)
 *
 * This interface was referenced by `DispatcherProtocol`'s JSON-Schema
 * via the `definition` "dispatchInputs".
 */
export interface DispatchInputs {
  /**
   * v8-serialized array of the arguments, base64.
   */
  inputs: string;
}
/**
 * GET /api/v1/triggers[?dispatchId=&all=1]: the running triggers (with all=1, the stopped ones too), oldest first. POST /api/v1/triggers/{id}/stop answers the stopped triggerRecord.
 *
 * This interface was referenced by `DispatcherProtocol`'s JSON-Schema
 * via the `definition` "triggerList".
 */
export interface TriggerList {
  triggers: TriggerRecord[];
}
/**
 * A trigger as the dispatcher keeps it: which dispatch it dispatches again, what fires it, and what it did so far.
 *
 * This interface was referenced by `DispatcherProtocol`'s JSON-Schema
 * via the `definition` "triggerRecord".
 */
export interface TriggerRecord {
  id: string;
  /**
   * The dispatch whose lattice and inputs each firing dispatches again.
   */
  dispatchId: string;
  trigger: TriggerSpec;
  createdAt: number;
  /**
   * Set once stopped: it fires no more.
   */
  stoppedAt?: number;
  /**
   * How many dispatches it made.
   */
  fired: number;
  lastFiredAt?: number;
  lastDispatchId?: string;
  /**
   * Why the last firing made no dispatch, or why it stopped by itself.
   */
  lastError?: string;
}
/**
 * GET /api/v1/dispatches/{id}/outputs: the output of every completed task (electron or sublattice) of the dispatch, by node, in node order.
 *
 * This interface was referenced by `DispatcherProtocol`'s JSON-Schema
 * via the `definition` "dispatchOutputs".
 */
export interface DispatchOutputs {
  outputs: {
    nodeId: number;
    /**
     * The electron's name.
     */
    name: string;
    /**
     * v8-serialized output, base64.
     */
    output: string;
  }[];
}
/**
 * What POST /api/v1/delete deleted (the ids, sublattices' dispatches included), the volumes it removed, and how many unfinished dispatches `all` kept.
 *
 * This interface was referenced by `DispatcherProtocol`'s JSON-Schema
 * via the `definition` "deleteReply".
 */
export interface DeleteReply {
  deleted: string[];
  volumes: string[];
  kept: number;
}
/**
 * This interface was referenced by `DispatcherProtocol`'s JSON-Schema
 * via the `definition` "dispatchSummary".
 */
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
  /**
   * The trigger that made this dispatch, if one did.
   */
  triggerId?: string;
}
/**
 * This interface was referenced by `DispatcherProtocol`'s JSON-Schema
 * via the `definition` "taskError".
 */
export interface TaskErrorDocument {
  name: string;
  message: string;
  stack?: string;
}
/**
 * This interface was referenced by `DispatcherProtocol`'s JSON-Schema
 * via the `definition` "nodeState".
 */
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
 * The worker process that ran a node's last attempt, for executors that run tasks on other machines (bullmq).
 */
export interface WorkerInfo {
  host: string;
  pid: number;
  id: string;
}
/**
 * This interface was referenced by `DispatcherProtocol`'s JSON-Schema
 * via the `definition` "updateMessage".
 */
export interface UpdateMessage {
  type: "update";
  dispatchId: string;
  seq: number;
  node?: NodeState;
  dispatch?: DispatchSummary;
}
/**
 * GET /api/v1/dispatches/{id} (and /wait): the dispatch, every node's state, and the result once completed. With ?nodes=columns the answer is a columnarDispatchDetail instead.
 *
 * This interface was referenced by `DispatcherProtocol`'s JSON-Schema
 * via the `definition` "dispatchDetail".
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
 * GET /api/v1/dispatches/{id}?nodes=columns (and /wait?nodes=columns): a dispatchDetail with the node states as columns (nodeColumns) instead of an object per node; a big dispatch's answer is several times smaller and cheaper to make and read.
 *
 * This interface was referenced by `DispatcherProtocol`'s JSON-Schema
 * via the `definition` "columnarDispatchDetail".
 */
export interface ColumnarDispatchDetail {
  dispatch: DispatchSummary;
  nodeColumns: NodeColumns;
  seq: number;
  /**
   * v8-serialized result, base64, when COMPLETED.
   */
  result?: string;
}
/**
 * Every node's state (nodeState) as columns: entry i of every column is the i-th node, node id i unless `ids` is given. A node's nodeState has id, status and attempts from the columns, startedAt / endedAt / output / reused / worker / queuedMs where its column has a value, and no other field; a node listed in `others` is that nodeState instead.
 *
 * This interface was referenced by `DispatcherProtocol`'s JSON-Schema
 * via the `definition` "nodeColumns".
 */
export interface NodeColumns {
  /**
   * The node ids, when they are not 0…n-1 in order.
   */
  ids?: number[];
  /**
   * One letter per node (always its status, also for nodes in `others`): N NEW_OBJECT, P PENDING, R RUNNING, C COMPLETED, F FAILED, X CANCELLED.
   */
  status: string;
  attempts: number[];
  /**
   * startedAt and endedAt are offsets from this, in ms.
   */
  base: number;
  /**
   * base + this is the node's startedAt; null: none.
   */
  startedAt: (number | null)[];
  /**
   * base + this is the node's endedAt; null: none.
   */
  endedAt: (number | null)[];
  /**
   * The distinct output previews, each once.
   */
  previews: ValuePreview[];
  /**
   * Per node, its output preview's index in `previews`; -1: none.
   */
  outputAt: number[];
  /**
   * Indexes (entries, not ids) of the nodes whose output was reused; absent: none.
   */
  reused?: number[];
  /**
   * The distinct workers, each once; absent when no node says where it ran.
   */
  workers?: WorkerInfo[];
  /**
   * With `workers`: per node, its worker's index in `workers`; -1: none.
   */
  workerAt?: number[];
  /**
   * Per node, how long its last attempt queued (nodeState.queuedMs); null: not said. Absent when no node says.
   */
  queuedMs?: (number | null)[];
  /**
   * The whole nodeState of the few nodes the columns cannot hold (an error, a live `waiting`, a time not exact as an offset); it replaces what the columns say of that node.
   */
  others: NodeState[];
}
/**
 * GET /api/v1/dispatches/{id}/nodes/{nodeId}: one node with its output and logs.
 *
 * This interface was referenced by `DispatcherProtocol`'s JSON-Schema
 * via the `definition` "nodeDetail".
 */
export interface NodeDetail {
  node: NodeState;
  name?: string;
  output?: string;
  logs: {
    stream: "stdout" | "stderr";
    text: string;
    at: number;
    attempt: number;
  }[];
}
/**
 * This interface was referenced by `DispatcherProtocol`'s JSON-Schema
 * via the `definition` "errorResponse".
 */
export interface ErrorResponse {
  error: string;
  details?: string[];
}
/**
 * A built graph as it leaves the client (version 2): electrons serialized once (functions by value), nodes and edges in columns (one array per field, entry i for node or edge i), parameter values v8-serialized one after another in one base64 string. A 10,000-task graph is about 0.5 MB of JSON, read without an object per node.
 *
 * This interface was referenced by `DispatcherProtocol`'s JSON-Schema
 * via the `definition` "transportGraph".
 */
export interface TransportGraphDocument {
  version: 2;
  latticeName: string;
  /**
   * @maxItems 100000
   */
  electrons: ElectronSpecDocument[];
  /**
   * The options documents of electron and sublattice nodes, each once.
   */
  options: ElectronOptionsDocument[];
  /**
   * Node names, each once.
   */
  names: string[];
  nodes: TransportNodeColumns;
  edges: TransportEdgeColumns;
  output: TransportOutputDocument;
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
    bash?: string[];
  };
  callBefore?: string[];
  callAfter?: string[];
  cache?: boolean;
  outputLength?: number;
}
/**
 * What a task needs from the machine that runs it; the scheduler never overcommits these.
 */
export interface Resources {
  /**
   * CPU cores reserved for the task. Default 1.
   */
  cpus?: number;
  /**
   * Memory reserved and enforced for the task, in MiB. Default: the executor's per-task default.
   */
  memoryMB?: number;
  /**
   * GPUs the task needs; such tasks only go where GPUs are declared. Default 0.
   */
  gpus?: number;
}
/**
 * The nodes of a transport graph: node i (its id) is entry i of every column.
 *
 * This interface was referenced by `DispatcherProtocol`'s JSON-Schema
 * via the `definition` "transportNodes".
 */
export interface TransportNodeColumns {
  /**
   * One letter per node: p parameter, e electron, s sublattice, l list, d dict, i getitem, a getattr.
   */
  kind: string;
  /**
   * Index into the graph's names.
   *
   * @maxItems 5000000
   */
  name: number[];
  /**
   * electron and sublattice nodes: index into the graph's electrons; -1 for the others.
   *
   * @maxItems 5000000
   */
  electron: number[];
  /**
   * electron and sublattice nodes: index into the graph's options; -1 for the others.
   *
   * @maxItems 5000000
   */
  options: number[];
  /**
   * parameter nodes: how many bytes of `values` are the node's value (they follow one another in node order); 0 for the others.
   *
   * @maxItems 5000000
   */
  valueLength: number[];
  /**
   * Every parameter's v8-serialized value, one after another.
   */
  values: string;
  /**
   * getitem / getattr nodes: the index or property name, by node id.
   */
  keys?: {
    /**
     * This interface was referenced by `undefined`'s JSON-Schema definition
     * via the `patternProperty` "^(0|[1-9][0-9]*)$".
     */
    [k: string]: string | number;
  };
}
/**
 * The edges of a transport graph, edge i being entry i of every column (as dag.schema.json's edge).
 *
 * This interface was referenced by `DispatcherProtocol`'s JSON-Schema
 * via the `definition` "transportEdges".
 */
export interface TransportEdgeColumns {
  /**
   * Node ids.
   *
   * @maxItems 5000000
   */
  source: number[];
  /**
   * Node ids.
   *
   * @maxItems 5000000
   */
  target: number[];
  /**
   * One letter per edge: d data, w wait.
   */
  kind: string;
  /**
   * Argument position or element index; -1 for none.
   *
   * @maxItems 5000000
   */
  position: number[];
  /**
   * Data edges into dict nodes: the property name, by edge index.
   */
  keys?: {
    /**
     * This interface was referenced by `undefined`'s JSON-Schema definition
     * via the `patternProperty` "^(0|[1-9][0-9]*)$".
     */
    [k: string]: string;
  };
}
/**
 * Version 1 of the transport graph, an object per node and edge: what older clients send and older dispatchers stored. Read as version 2.
 *
 * This interface was referenced by `DispatcherProtocol`'s JSON-Schema
 * via the `definition` "transportGraphV1".
 */
export interface TransportGraphV1Document {
  version: 1;
  latticeName: string;
  /**
   * @maxItems 100000
   */
  electrons: ElectronSpecDocument[];
  /**
   * @maxItems 5000000
   */
  nodes: TransportNodeDocument[];
  edges: DagEdge[];
  output: TransportOutputDocument;
}
/**
 * This interface was referenced by `DispatcherProtocol`'s JSON-Schema
 * via the `definition` "transportNode".
 */
export interface TransportNodeDocument {
  id: number;
  kind: NodeKind;
  name: string;
  electron?: number;
  options?: ElectronOptionsDocument;
  value?: string;
  key?: string | number;
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
 * A line a task wrote, as its executor captured it.
 *
 * This interface was referenced by `DispatcherProtocol`'s JSON-Schema
 * via the `definition` "logLine".
 */
export interface LogLine {
  stream: "stdout" | "stderr";
  text: string;
  /**
   * Milliseconds since the epoch.
   */
  at: number;
}
