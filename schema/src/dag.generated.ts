/* Generated from the JSON Schema beside it by `npm run schema:generate`. Do not edit. */

/**
 * electron: a task; sublattice: an electron wrapping a lattice, built at run time; parameter: a literal argument; list / dict: an array or plain object containing futures; getitem / getattr: index or property access on a future.
 *
 * This interface was referenced by `DagDocument`'s JSON-Schema
 * via the `definition` "nodeKind".
 */
export type NodeKind = "electron" | "sublattice" | "parameter" | "list" | "dict" | "getitem" | "getattr";
/**
 * This interface was referenced by `DagDocument`'s JSON-Schema
 * via the `definition` "status".
 */
export type Status = "NEW_OBJECT" | "PENDING" | "RUNNING" | "COMPLETED" | "FAILED" | "CANCELLED";
/**
 * The lattice's return value with futures in it: the result replaces each future by its node's output.
 *
 * This interface was referenced by `DagDocument`'s JSON-Schema
 * via the `definition` "outputStructure".
 */
export type OutputStructure =
  | {
      kind: "future";
      node: number;
    }
  | {
      kind: "array";
      items: OutputStructure[];
    }
  | {
      kind: "object";
      entries: {
        [k: string]: OutputStructure;
      };
    }
  | {
      kind: "value";
      value: ValuePreview;
    };

/**
 * A lattice's transport graph as the kernel sends it to the browser (MIME type application/vnd.valence.dag+json). Node ids are stable: the same lattice with the same inputs gives the same ids.
 */
export interface DagDocument {
  /**
   * Version of this document format.
   */
  version: 1;
  lattice: DagLattice;
  nodes: DagNode[];
  edges: DagEdge[];
  output: OutputStructure;
  dispatch?: DagDispatch;
}
export interface DagLattice {
  name: string;
  /**
   * Previews of the arguments the lattice was built with.
   */
  inputs?: ValuePreview[];
}
/**
 * A short, human-readable rendering of a value; never the value itself.
 *
 * This interface was referenced by `DagDocument`'s JSON-Schema
 * via the `definition` "valuePreview".
 */
export interface ValuePreview {
  /**
   * typeof, or the constructor name for objects (Array, Map, Date...).
   */
  type: string;
  preview: string;
}
/**
 * This interface was referenced by `DagDocument`'s JSON-Schema
 * via the `definition` "node".
 */
export interface DagNode {
  id: number;
  kind: NodeKind;
  name: string;
  options?: ElectronOptionsDocument;
  value?: ValuePreview;
  /**
   * The index (getitem) or property name (getattr).
   */
  key?: string | number;
  status?: Status;
  /**
   * Runs started so far (retries included).
   */
  attempts?: number;
  /**
   * When the last attempt started, ms since the epoch.
   */
  startedAt?: number;
  /**
   * When the node finished, ms since the epoch.
   */
  endedAt?: number;
  output?: ValuePreview;
  error?: NodeError;
  /**
   * Output taken from an earlier dispatch or the cache, not computed.
   */
  reused?: boolean;
  worker?: WorkerInfo;
  /**
   * How long the last attempt waited for a worker before it started, in ms (executors that queue tasks, such as bullmq).
   */
  queuedMs?: number;
  /**
   * Live only: why the executor holds the node's task instead of running it ("no worker with 1 GPU is connected…"). Absent once it starts.
   */
  waiting?: string;
}
/**
 * The electron options that matter outside the kernel. Hooks are listed by function name.
 *
 * This interface was referenced by `DagDocument`'s JSON-Schema
 * via the `definition` "electronOptions".
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
 *
 * This interface was referenced by `DagDocument`'s JSON-Schema
 * via the `definition` "resources".
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
 * Why a node failed: the error's name, message and stack.
 *
 * This interface was referenced by `DagDocument`'s JSON-Schema
 * via the `definition` "nodeError".
 */
export interface NodeError {
  name: string;
  message: string;
  stack?: string;
}
/**
 * The worker process that ran a node's last attempt, for executors that run tasks on other machines (bullmq).
 *
 * This interface was referenced by `DagDocument`'s JSON-Schema
 * via the `definition` "worker".
 */
export interface WorkerInfo {
  host: string;
  pid: number;
  id: string;
}
/**
 * data: the source's output is an input of the target, at argument/element `position` or under object `key`; wait: the target starts only after the source finished, no data flows.
 *
 * This interface was referenced by `DagDocument`'s JSON-Schema
 * via the `definition` "edge".
 */
export interface DagEdge {
  source: number;
  target: number;
  kind: "data" | "wait";
  position?: number;
  key?: string;
}
/**
 * Present when the graph belongs to a dispatch: the browser subscribes to it for live status.
 */
export interface DagDispatch {
  id: string;
  status: Status;
}
