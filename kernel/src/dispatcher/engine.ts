// The dispatcher's core, apart from any transport: accepts dispatches, runs them, resumes the
// unfinished ones after a restart, cancels, and feeds subscribers a snapshot then ordered updates.
// The HTTP/websocket server and tests call it directly.
import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { volumeNameProblem } from "../workflow/volume";
import {
  isTaskNode,
  type ColumnarDispatchDetail,
  type DagDocument,
  type DeleteReply,
  type DispatchDetail,
  type DispatchOutputs,
  type DispatchSummary,
  type NodeDetail,
  type ServerMessage,
} from "@valence/schema";
import type { Executor } from "../executors/executor";
import type { TransportGraph } from "../workflow/transport";
import type { ElectronSpec } from "../workflow/serialize";
import { runSublattice, type ChildDispatches } from "./sublattice-run";
import { deleteDispatches, type DeleteOptions } from "./delete-dispatches";
import { dagView } from "./dag-view";
import { DispatchRun } from "./dispatch-run";
import { ExecutorPool, type ExecutorPoolOptions } from "./executor-pool";
import type { GraphIndex } from "./graph-index";
import { CRASH_LIMIT, failStored, type CrashCounts, type Quarantined } from "./quarantine";
import { nodeColumns, storedNodeColumns } from "../shared/node-columns";
import { nodeState, previewsById, storedNodeState, storedNodeStates } from "./node-states";
import type { ListDispatchesOptions, Store } from "./store/store";
import { toBase64 } from "../shared/values";
import { WriteQueue } from "./write-queue";
import { graphText, newNodeRows, type NewDispatchRequest } from "./new-dispatch";
import { asColumns, type TransportGraphV1 } from "./transport-v1";
import { DispatchRejected, validateGraph } from "./validate-dispatch";

export { DispatchRejected } from "./validate-dispatch";
export { DispatchBusy } from "./delete-dispatches";

/** A dispatch id the store does not know; servers answer 404. */
export class UnknownDispatch extends Error {
  override readonly name = "UnknownDispatch";
  constructor(readonly dispatchId: string) {
    super(`no dispatch with id "${dispatchId}"`);
  }
}

type Subscriber = (message: ServerMessage) => void;

export { MAX_SUBLATTICE_DEPTH } from "./sublattice-run";

export class Engine {
  private readonly runs = new Map<string, DispatchRun>();
  private readonly subscribers = new Map<string, Set<Subscriber>>();
  private readonly finishedWaiters = new Map<string, Array<() => void>>();
  private readonly queue: WriteQueue;
  private readonly pool: ExecutorPool;
  /** What a sublattice node needs of the engine to run its child dispatch (sublattice-run.ts). */
  private readonly children: ChildDispatches = {
    store: () => this.store,
    submit: (request) => this.submit(request),
    cancel: (id) => this.cancel(id),
    whenFinished: (id) => this.whenFinished(id),
  };
  /** Dispatches failed at start instead of resumed, with why (shown by `valence status`). */
  readonly quarantined: Quarantined[] = [];

  constructor(
    private readonly store: Store,
    executors: Readonly<Record<string, Executor>>,
    poolOptions: ExecutorPoolOptions = {},
  ) {
    this.pool = new ExecutorPool(executors, poolOptions);
    this.queue = new WriteQueue(
      store,
      (dispatchId, messages) => this.publish(dispatchId, messages),
      (dispatchId) => (this.subscribers.get(dispatchId)?.size ?? 0) > 0,
    );
  }

  /**
   * Restarts every dispatch a previous process left unfinished; completed nodes are not rerun. One
   * that breaks the graph rules, or that `crashes` counts as crash-looping, is failed instead
   * (quarantine.ts) and listed in `quarantined`.
   */
  resumeUnfinished(crashes?: CrashCounts): string[] {
    const records = this.store.unfinishedDispatches();
    const over = crashes?.starting(records.map((record) => record.id)) ?? new Set<string>();
    // Every run exists before any starts: a resumed parent finds its resumed child dispatches running.
    const runs: DispatchRun[] = [];
    for (const record of records) {
      let index: GraphIndex;
      let volume: { name: string; path: string } | undefined;
      try {
        if (over.has(record.id)) {
          throw new Error(`the dispatcher died ${CRASH_LIMIT} times in a row soon after resuming it`);
        }
        const graph = this.store.parseGraph(record.id) as TransportGraph | TransportGraphV1;
        index = validateGraph(graph, this.pool, { schema: true });
        volume = record.volume === undefined ? undefined : this.volume(record.volume);
      } catch (error) {
        const reason = `not resumed: ${(error as Error).message}`;
        failStored(this.store, record, reason);
        this.quarantined.push({ id: record.id, reason });
        continue;
      }
      runs.push(
        this.createRun(record.id, index, {
          latticeName: record.latticeName,
          createdAt: record.createdAt,
          seq: this.store.lastSeq(record.id),
          restored: this.store.iterateNodes(record.id),
          ...(volume ? { volume } : {}),
          ...(record.triggerId !== undefined ? { triggerId: record.triggerId } : {}),
        }),
      );
    }
    for (const run of runs) run.start();
    return runs.map((run) => run.id);
  }

  submit(request: NewDispatchRequest): string {
    const index = validateGraph(request.graph, this.pool);
    const volume = request.volume === undefined ? undefined : this.volume(request.volume);
    const id = randomUUID();
    const createdAt = Date.now();
    // Stored at once, not at the next commit: the graph's JSON text (MBs for a big dispatch) is let
    // go of now, and what the run records later always finds its dispatch.
    const lattice = JSON.stringify(request.lattice);
    this.store.transaction((writer) =>
      writer.insertDispatch({
        id,
        latticeName: request.graph.latticeName,
        ...graphText(request, lattice.length),
        lattice,
        inputs: request.inputs,
        nodes: newNodeRows(index),
        createdAt,
        ...(request.parentId !== undefined ? { parentId: request.parentId, parentNode: request.parentNode! } : {}),
        ...(request.volume !== undefined ? { volume: request.volume } : {}),
        ...(request.triggerId !== undefined ? { triggerId: request.triggerId } : {}),
      }),
    );
    this.createRun(id, index, {
      latticeName: request.graph.latticeName,
      createdAt,
      seq: 0,
      ...(request.reuseFrom ? { reuseFrom: request.reuseFrom } : {}),
      ...(volume ? { volume } : {}),
      ...(request.triggerId !== undefined ? { triggerId: request.triggerId } : {}),
    }).start();
    return id;
  }

  cancel(id: string, nodeIds?: readonly number[]): void {
    const run = this.runs.get(id);
    if (run) run.cancel(nodeIds);
    else this.record(id);
  }

  /**
   * Resolves when the dispatch has reached a final status and it is stored, or when `signal` aborts
   * (the caller gave up: its waiter is dropped then, not kept until the dispatch ends).
   */
  whenFinished(id: string, signal?: AbortSignal): Promise<void> {
    if (!this.runs.has(id)) {
      this.record(id);
      return Promise.resolve();
    }
    if (signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const list = this.finishedWaiters.get(id) ?? [];
      const gaveUp = (): void => {
        const at = list.indexOf(finished);
        if (at >= 0) list.splice(at, 1);
        if (list.length === 0 && this.finishedWaiters.get(id) === list) this.finishedWaiters.delete(id);
        resolve();
      };
      const finished = (): void => {
        signal?.removeEventListener("abort", gaveUp);
        resolve();
      };
      list.push(finished);
      this.finishedWaiters.set(id, list);
      signal?.addEventListener("abort", gaveUp, { once: true });
    });
  }

  get running(): number {
    return this.runs.size;
  }

  /** Dispatches holding a set of subscribers (each is dropped when its run ends). */
  get followed(): number {
    return this.subscribers.size;
  }

  /** Callers of `whenFinished` still waiting (bounded by the requests in flight). */
  get waiting(): number {
    let n = 0;
    for (const list of this.finishedWaiters.values()) n += list.length;
    return n;
  }

  list(options: ListDispatchesOptions = {}): ReturnType<Store["listDispatches"]> {
    return this.store.listDispatches({ ...options, limit: options.limit ?? 50 });
  }

  /** The dispatch, every node's state (`columns`: as NodeColumns, node-columns.ts), the result once completed. */
  detail(id: string, options?: { columns?: false }): DispatchDetail;
  detail(id: string, options: { columns: true }): ColumnarDispatchDetail;
  detail(id: string, options?: { columns?: boolean }): DispatchDetail | ColumnarDispatchDetail;
  detail(id: string, options: { columns?: boolean } = {}): DispatchDetail | ColumnarDispatchDetail {
    // Commit what is queued: the store then agrees with the run (a running dispatch's output previews
    // are read from it), and a run that just finished is answered from the store, with its result.
    this.queue.flush();
    const run = this.runs.get(id);
    if (run) {
      const nodes = run.nodeStates(previewsById(this.store.outputPreviewRows(id)));
      const seq = run.lastSeq;
      const dispatch = run.summary();
      return options.columns ? { dispatch, nodeColumns: nodeColumns(nodes), seq } : { dispatch, nodes, seq };
    }
    const dispatch = this.record(id);
    const result = dispatch.status === "COMPLETED" ? this.store.getResult(id) : undefined;
    const rest = { seq: this.store.lastSeq(id), ...(result ? { result: toBase64(result) } : {}) };
    const rows = this.store.nodeStateRows(id);
    // A finished dispatch's columns come straight from the rows: no object per node.
    return options.columns
      ? { dispatch, nodeColumns: storedNodeColumns(rows, storedNodeState), ...rest }
      : { dispatch, nodes: storedNodeStates(rows), ...rest };
  }

  /** The dispatch's status and timings alone (getResult's `statusOnly`). */
  summary(id: string): DispatchSummary {
    this.queue.flush();
    return this.runs.get(id)?.summary() ?? this.record(id);
  }

  /** The arguments the dispatch was given (v8 bytes, as stored). */
  inputs(id: string): Uint8Array {
    this.record(id);
    return this.store.getInputs(id);
  }

  /** The dispatch's DAG document with every node's current status (for drawing it). */
  graph(id: string): DagDocument {
    const detail = this.detail(id);
    return dagView(this.storedGraph(id), detail.nodes, { id, status: detail.dispatch.status });
  }

  /** The output of every completed task, in node order (Result.getOutputs): one request, not one per node. */
  outputs(id: string): DispatchOutputs {
    const graph = this.graph(id); // flushes: the stored rows agree with the run
    const outputs: DispatchOutputs["outputs"][number][] = [];
    for (const node of graph.nodes) {
      if (!isTaskNode(node) || node.status !== "COMPLETED") continue;
      const output = this.store.getNodeOutput(id, node.id);
      if (output) outputs.push({ nodeId: node.id, name: node.name, output: toBase64(output) });
    }
    return { outputs };
  }

  nodeDetail(id: string, nodeId: number): NodeDetail {
    this.record(id);
    this.queue.flush(); // the stored row then agrees with the run
    const node = this.store.getNode(id, nodeId);
    if (!node) throw new UnknownDispatch(`${id}/nodes/${nodeId}`);
    const run = this.runs.get(id);
    const output = this.store.getNodeOutput(id, nodeId);
    return {
      node: run ? run.nodeState(nodeId, node.outputPreview) : nodeState(node),
      name: node.name,
      logs: this.store
        .getLogs(id, nodeId)
        .map((l) => ({ stream: l.stream, text: l.text, at: l.at, attempt: l.attempt })),
      ...(output ? { output: toBase64(output) } : {}),
    };
  }

  /**
   * Sends a snapshot (or, given `afterSeq`, exactly the updates after it), then every later update.
   * Returns the unsubscribe function.
   */
  subscribe(id: string, send: Subscriber, afterSeq?: number): () => void {
    let sent: number;
    if (afterSeq === undefined) {
      const detail = this.detail(id);
      sent = detail.seq;
      send({ type: "snapshot", dispatchId: id, seq: detail.seq, dispatch: detail.dispatch, nodes: detail.nodes });
    } else {
      this.record(id);
      sent = afterSeq;
      for (const event of this.store.eventsSince(id, afterSeq)) {
        send(event.body as ServerMessage);
        sent = event.seq;
      }
    }
    // Looked up after the snapshot: the commit detail() makes may be the one that finished the run,
    // and a subscriber set added for it then would never be dropped.
    if (!this.runs.has(id)) return () => undefined;
    // Updates the run made but has not committed yet arrive through publish(); skip what was sent.
    const subscriber: Subscriber = (message) => {
      if (message.type === "update" && message.seq <= sent) return;
      if (message.type === "update") sent = message.seq;
      send(message);
    };
    const set = this.subscribers.get(id) ?? new Set();
    set.add(subscriber);
    this.subscribers.set(id, set);
    return () => set.delete(subscriber);
  }

  /** Writes what is queued and stops the executors; unfinished dispatches resume at the next start. */
  async close(): Promise<void> {
    for (const run of this.runs.values()) run.suspend();
    this.queue.flush();
    await this.pool.close();
  }

  private createRun(id: string, index: GraphIndex, meta: ConstructorParameters<typeof DispatchRun>[3]): DispatchRun {
    const run = new DispatchRun(
      id,
      index,
      {
        queue: this.queue,
        executors: this.pool,
        storedOutput: (dispatchId, nodeId) => this.store.getNodeOutput(dispatchId, nodeId),
        findCached: (cacheKey) => this.store.findOutputByKey(cacheKey),
        contentKeys: (dispatchId) => this.store.contentKeys(dispatchId),
        runSublattice: (parentNode, electron, args, signal) =>
          runSublattice(
            this.children,
            { parentId: id, parentNode, reuseFrom: meta.reuseFrom },
            electron as ElectronSpec,
            args,
            signal,
          ),
        finished: (dispatchId) => {
          this.runs.delete(dispatchId);
          this.subscribers.delete(dispatchId);
          for (const resolve of this.finishedWaiters.get(dispatchId) ?? []) resolve();
          this.finishedWaiters.delete(dispatchId);
        },
      },
      meta,
    );
    this.runs.set(id, run);
    return run;
  }

  /** Deletes finished dispatches for good (delete-dispatches.ts); throws DispatchBusy for an unfinished one. */
  delete(ids: readonly string[], options: DeleteOptions = {}): DeleteReply {
    return deleteDispatches(
      this.store,
      (id) => this.record(id),
      (id) => this.runs.has(id),
      ids,
      options,
    );
  }

  /** Deletes every finished dispatch; unfinished ones are kept (counted in `kept`). */
  purge(options: DeleteOptions = {}): DeleteReply {
    const { finished, unfinished } = this.store.topLevel();
    const running = (id: string) => this.runs.has(id);
    const reply = deleteDispatches(this.store, (id) => this.record(id), running, finished, {
      ...options,
      skipBusy: true,
    });
    return { ...reply, kept: reply.kept + unfinished };
  }

  /** The directory of a volume, created on first use; the name cannot leave the volumes root. */
  private volume(name: string): { name: string; path: string } {
    const problem = volumeNameProblem(name);
    if (problem) throw new DispatchRejected(problem);
    const path = join(this.store.dataDir, "volumes", name);
    mkdirSync(path, { recursive: true, mode: 0o700 });
    return { name, path };
  }

  /** A dispatch's stored graph, in columns (one an older dispatcher stored is converted). */
  private storedGraph(id: string): TransportGraph {
    return asColumns(this.store.parseGraph(id) as TransportGraph | TransportGraphV1);
  }

  private record(id: string): NonNullable<ReturnType<Store["getDispatch"]>> {
    const record = this.store.getDispatch(id);
    if (!record) throw new UnknownDispatch(id);
    return record;
  }

  private publish(dispatchId: string, messages: readonly ServerMessage[]): void {
    const set = this.subscribers.get(dispatchId);
    if (!set) return;
    const sends = [...set];
    for (const message of messages) for (const send of sends) send(message);
  }
}
