// What a dispatch produced, as users read it: status, the result typed as the lattice's return type,
// the error, timings, and every node's state; a node's output and logs are fetched on demand.
import { inspect } from "node:util";
import {
  DAG_MIME_TYPE,
  isFinal,
  type ColumnarDispatchDetail,
  type DagDocument,
  type DispatchDetail,
  type DispatchInputs,
  type DispatchOutputs,
  type NodeColumns,
  type NodeDetail,
  type NodeState,
  type Status,
  type TaskErrorDocument,
  type WorkerInfo,
} from "@valence/schema";
import { nodeStatesOf, statusCounts } from "../shared/node-columns";
import { decode, fromBase64 } from "../shared/values";

export interface NodeResult {
  readonly nodeId: number;
  readonly name: string;
  readonly status: Status;
  readonly attempts: number;
  readonly output: unknown;
  readonly error?: TaskErrorDocument;
  readonly logs: NodeDetail["logs"];
  readonly startTime?: Date;
  readonly endTime?: Date;
  readonly reused: boolean;
  /** The worker process that ran the last attempt, for executors that say (bullmq). */
  readonly worker?: WorkerInfo;
  /** How long the last attempt waited for a worker before it started, in ms, where the executor says. */
  readonly queuedMs?: number;
  /** While the node waits: why its executor cannot place it yet ("no worker with 1 GPU is connected…"). */
  readonly waiting?: string;
}

export { isFinal };

/** Where a Result reads what it does not hold: a node's detail, the graph, the inputs, all outputs. */
export interface ResultSource {
  node(nodeId: number): Promise<NodeDetail>;
  graph(): Promise<DagDocument>;
  inputs(): Promise<DispatchInputs>;
  outputs(): Promise<DispatchOutputs>;
}

export class Result<R = unknown> {
  readonly dispatchId: string;
  readonly latticeName: string;
  readonly status: Status;
  /** The lattice's return value with outputs in place of futures; set when COMPLETED. */
  readonly result: R | undefined;
  readonly error: TaskErrorDocument | undefined;
  readonly startTime: Date | undefined;
  readonly endTime: Date | undefined;
  // The node states as received: objects, or columns turned into objects on first use of `nodes`
  // (a caller who reads only `result` never pays for 20,000 objects). Private fields: neither
  // console.log nor JSON shows the columns.
  #states: readonly NodeState[] | undefined;
  readonly #columns: NodeColumns | undefined;

  readonly #fetch: ResultSource;

  constructor(detail: DispatchDetail | ColumnarDispatchDetail, fetch: ResultSource) {
    this.#fetch = fetch;
    const d = detail.dispatch;
    this.dispatchId = d.id;
    this.latticeName = d.latticeName;
    this.status = d.status;
    this.result = detail.result === undefined ? undefined : (decode(fromBase64(detail.result)) as R);
    this.error = d.error;
    this.startTime = d.startedAt === undefined ? undefined : new Date(d.startedAt);
    this.endTime = d.endedAt === undefined ? undefined : new Date(d.endedAt);
    if ("nodeColumns" in detail) this.#columns = detail.nodeColumns;
    else this.#states = detail.nodes;
  }

  /** Every node's state, in node id order. */
  get nodes(): readonly NodeState[] {
    return (this.#states ??= nodeStatesOf(this.#columns!));
  }

  /** The result as JSON shows it: its fields and every node's state. */
  toJSON(): Record<string, unknown> {
    const { dispatchId, latticeName, status, result, error, startTime, endTime } = this;
    return { dispatchId, latticeName, status, result, error, startTime, endTime, nodes: this.nodes };
  }

  get isFinal(): boolean {
    return isFinal(this.status);
  }

  /** One node's status, output, error, logs, timings, attempts, and where it ran (worker, time queued). */
  async getNodeResult(nodeId: number): Promise<NodeResult> {
    const detail = await this.#fetch.node(nodeId);
    const n = detail.node;
    return {
      nodeId,
      name: detail.name ?? String(nodeId),
      status: n.status,
      attempts: n.attempts,
      output: detail.output === undefined ? undefined : decode(fromBase64(detail.output)),
      ...(n.error ? { error: n.error } : {}),
      logs: detail.logs,
      ...(n.startedAt !== undefined ? { startTime: new Date(n.startedAt) } : {}),
      ...(n.endedAt !== undefined ? { endTime: new Date(n.endedAt) } : {}),
      reused: n.reused ?? false,
      ...(n.worker ? { worker: n.worker } : {}),
      ...(n.queuedMs !== undefined ? { queuedMs: n.queuedMs } : {}),
      ...(n.waiting !== undefined ? { waiting: n.waiting } : {}),
    };
  }

  /** The arguments the lattice was dispatched with (a redispatch's own, when it was given new ones). */
  async getInputs(): Promise<unknown[]> {
    return decode(fromBase64((await this.#fetch.inputs()).inputs)) as unknown[];
  }

  /** Every completed task's output, by node id, with the electron's name: what each step produced. */
  async getOutputs(): Promise<Map<number, { readonly name: string; readonly output: unknown }>> {
    const { outputs } = await this.#fetch.outputs();
    return new Map(outputs.map((o) => [o.nodeId, { name: o.name, output: decode(fromBase64(o.output)) }]));
  }

  /** In a notebook: the DAG with final statuses, and the summary with the result's value. */
  async [Symbol.for("Jupyter.display")](): Promise<Record<string, unknown>> {
    const value =
      this.status === "COMPLETED" ? `\nresult: ${inspect(this.result, { depth: 3, maxArrayLength: 20 })}` : "";
    const text = { "text/plain": `${this.toString()}${value}` };
    const graph = await this.#fetch.graph().catch(() => undefined);
    return graph ? { [DAG_MIME_TYPE]: graph, ...text } : text;
  }

  toString(): string {
    // From the columns when the nodes were not made: no object per node for a summary.
    const counts = this.#states || !this.#columns ? new Map<Status, number>() : statusCounts(this.#columns);
    if (this.#states) for (const node of this.#states) counts.set(node.status, (counts.get(node.status) ?? 0) + 1);
    const summary = [...counts].map(([status, n]) => `${n} ${status.toLowerCase()}`).join(", ");
    const took = this.startTime && this.endTime ? ` in ${this.endTime.getTime() - this.startTime.getTime()} ms` : "";
    const error = this.error ? `: ${this.error.message}` : "";
    return `Dispatch ${this.dispatchId} of "${this.latticeName}": ${this.status}${took} (${summary})${error}`;
  }
}
