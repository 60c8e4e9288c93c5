// One dispatch while it runs: hands ready nodes to executors (within their capacity), retries,
// enforces timeouts, cancels, records every change through the write queue, and settles the result.
// Per-node state is compact (node-table.ts, output-cache.ts): nothing per node is an object except
// while its task is in flight.
import type {
  DispatchSummary,
  ElectronOptionsDocument,
  NodeState,
  Resources,
  Status,
  ValuePreview,
} from "@valence/schema";
import { createHash } from "node:crypto";
import type { TaskError, TaskOutcome, TaskSpec } from "../executors/executor";
import { taskError } from "../executors/task-error";
import { previewValue } from "../workflow/preview";
import { helperValue } from "../workflow/helper-values";
import type { TransportOutput } from "../workflow/transport";
import { AttemptHooks, type WaitingReport } from "./attempt-hooks";
import { taskNeeds, type ExecutorPool, type TaskNeeds, type TaskOwner } from "./executor-pool";
import type { GraphIndex } from "./graph-index";
import { CANCELLED, COMPLETED, FAILED, NodeTable, PENDING, RUNNING } from "./node-table";
import { OutputCache } from "./output-cache";
import { RunRecorder } from "./run-recorder";
import { Scheduler } from "./scheduler";
import type { NodeRecord } from "./store/records";
import { decode, encode, fromBase64 } from "./values";
import type { WriteQueue } from "./write-queue";

export interface RunEnvironment {
  readonly queue: WriteQueue;
  readonly executors: ExecutorPool;
  /** A stored output, for nodes completed before a restart (or already let go of). */
  readonly storedOutput: (dispatchId: string, nodeId: number) => Uint8Array | undefined;
  readonly finished: (run: DispatchRun) => void;
  /** A stored output of an electron with `cache: true` and this content key, from any dispatch. */
  readonly findCached: (cacheKey: string) => Uint8Array | undefined;
  /** The content keys of a dispatch's completed nodes (node id by key). */
  readonly contentKeys: (dispatchId: string) => Map<string, number>;
  /** Runs a sublattice node as a child dispatch; resolves to its serialized result. */
  readonly runSublattice: (
    parentNode: number,
    electron: unknown,
    args: unknown[],
    signal: AbortSignal,
  ) => Promise<Uint8Array>;
}

const PREVIEW_LIMIT_BYTES = 1 << 20;

class Cancelled extends Error {}
class TimedOut extends Error {}
/** The abort reason when the dispatcher shuts down: stop, but record nothing (the next start resumes). */
export class ShuttingDown extends Error {}

/** What the tasks sharing one options document share: executor, needs, resources. */
interface TaskKind {
  readonly options: ElectronOptionsDocument;
  readonly executor: string;
  readonly needs: TaskNeeds;
  readonly resources: TaskSpec["resources"];
}

/** A task's serialized arguments and content key, made once before its first attempt. */
interface Prepared {
  readonly args: Uint8Array;
  readonly cacheKey: string;
  /** The electron has `cache: true`: its key is looked up from other dispatches. */
  readonly shared: boolean;
}

export class DispatchRun implements TaskOwner {
  private readonly recorder: RunRecorder;
  private readonly table: NodeTable;
  private readonly outputs: OutputCache;
  private readonly scheduler: Scheduler;
  private status: Status = "PENDING";
  private startedAt: number | undefined;
  private endedAt: number | undefined;
  private error: TaskError | undefined;
  /** By node id: the controller of a running task, the arguments of a task between ready and done. */
  private readonly running: Array<AbortController | undefined>;
  private readonly prepared: Array<Prepared | undefined>;
  private readonly kinds = new Map<number, TaskKind>();
  /** The content keys of `meta.reuseFrom`, read at the first lookup. */
  private reuseKeys: Map<string, number> | undefined;
  /** Nodes completed before a restart, when resuming. */
  private readonly restored: number[] | undefined;
  private failedNode: number | undefined;
  private anyCancelled = false;
  /** Set when the dispatcher shuts down: nothing more is recorded, so the next start resumes. */
  private suspended = false;
  /** An executor holds a task it cannot place yet (reason), or no longer (undefined): a live update. */
  private readonly waitingFor: WaitingReport = (id, attempt, reason) => {
    const t = this.table;
    // Only the attempt in flight, before it starts (a started or settled one is past waiting).
    if (this.suspended || !this.running[id] || t.attempts[id] !== attempt || t.status[id] !== PENDING) return;
    if (t.setWaiting(id, reason)) this.recorder.node(id);
  };

  constructor(
    readonly id: string,
    readonly index: GraphIndex,
    private readonly env: RunEnvironment,
    private readonly meta: {
      latticeName: string;
      createdAt: number;
      seq: number;
      /** The stored nodes of a dispatch being resumed (read once, here). */
      restored?: Iterable<NodeRecord>;
      /** Redispatch with reuse: outputs of this dispatch are taken for nodes whose code and inputs are unchanged. */
      reuseFrom?: string;
      /** The volume every task of the dispatch sees. */
      volume?: { name: string; path: string };
    },
  ) {
    const n = index.size;
    this.table = new NodeTable(n);
    this.running = new Array<AbortController | undefined>(n);
    this.prepared = new Array<Prepared | undefined>(n);
    const inResult = new Uint8Array(n);
    markFutures(index.output, inResult);
    this.outputs = new OutputCache(n, (i) => index.readersOf(i) + inResult[i]!);
    this.recorder = new RunRecorder(id, this.table, this.outputs, meta.seq, () => env.queue.pending(this.recorder));
    this.scheduler = new Scheduler(index);
    // Parameters hold their value from the start: they are complete, and stored as such, at creation.
    for (let i = 0; i < n; i++) if (index.kind(i) === "parameter") this.table.status[i] = COMPLETED;
    if (meta.restored) {
      this.restored = [];
      for (const record of meta.restored) {
        if (record.status !== "COMPLETED" || !index.has(record.nodeId)) continue;
        const i = record.nodeId;
        this.restored.push(i);
        this.table.status[i] = COMPLETED;
        this.table.attempts[i] = record.attempts;
        if (record.startedAt !== undefined) this.table.startedAt[i] = record.startedAt;
        if (record.endedAt !== undefined) this.table.endedAt[i] = record.endedAt;
        if (record.worker || record.queuedMs !== undefined) this.table.setPlace(i, record.worker, record.queuedMs);
      }
    }
  }

  /** True once every node is settled and the dispatch's final status is set (its commit may be pending). */
  get isFinished(): boolean {
    return this.endedAt !== undefined;
  }

  summary(): DispatchSummary {
    return {
      id: this.id,
      latticeName: this.meta.latticeName,
      status: this.status,
      createdAt: this.meta.createdAt,
      ...(this.startedAt !== undefined ? { startedAt: this.startedAt } : {}),
      ...(this.endedAt !== undefined ? { endedAt: this.endedAt } : {}),
      ...(this.error ? { error: this.error } : {}),
      ...(this.meta.volume ? { volume: this.meta.volume.name } : {}),
    };
  }

  /**
   * Every node's current state, for snapshots. `previews` are the stored output previews by node id
   * (ascending): everything recorded must be committed first, so the store has every one.
   */
  nodeStates(previews: Iterable<readonly [number, ValuePreview]>): NodeState[] {
    const states: NodeState[] = [];
    const iterator = previews[Symbol.iterator]();
    let next = iterator.next();
    for (let id = 0; id < this.index.size; id++) {
      while (!next.done && next.value[0] < id) next = iterator.next();
      const preview = !next.done && next.value[0] === id ? next.value[1] : undefined;
      states.push(this.table.state(id, this.table.status[id] === COMPLETED ? preview : undefined));
    }
    iterator.return?.(); // a store cursor must not stay open
    return states;
  }

  /** One node's current state (`preview`: its stored output preview). */
  nodeState(id: number, preview: ValuePreview | undefined): NodeState {
    return this.table.state(id, this.table.status[id] === COMPLETED ? preview : undefined);
  }

  get lastSeq(): number {
    return this.recorder.lastSeq;
  }

  start(): void {
    const ready = this.restored ? this.scheduler.restore(this.restored) : this.scheduler.initial();
    this.startedAt ??= Date.now();
    this.setDispatch("RUNNING");
    for (const id of ready) this.ready(id);
    this.maybeFinish();
  }

  /** Cancels the whole dispatch, or the listed nodes and everything downstream of them. */
  cancel(nodeIds?: readonly number[]): void {
    if (this.suspended) return;
    const count = nodeIds ? nodeIds.length : this.index.size;
    for (let k = 0; k < count; k++) {
      const id = nodeIds ? nodeIds[k]! : k;
      if (!this.index.has(id) || this.scheduler.isSettled(id)) continue;
      const controller = this.running[id];
      if (controller) controller.abort(new Cancelled("cancelled"));
      else this.settleCancelled(id);
    }
    this.maybeFinish();
  }

  /** Stops recording, leaving the stored state as it is for the next start to resume. */
  suspend(): void {
    this.suspended = true;
    for (const controller of this.running) controller?.abort(new ShuttingDown("dispatcher shutting down"));
  }

  /** Called by the executor pool when the task's needs fit. */
  startTask(id: number, needs: TaskNeeds): void {
    const kind = this.kindOf(id);
    if (this.suspended || this.scheduler.isSettled(id)) return this.env.executors.release(kind.executor, needs);
    const prepared = this.prepared[id] ?? this.prepare(id);
    if (!prepared) return this.env.executors.release(kind.executor, needs);
    void this.attempt(id, kind, prepared);
  }

  private ready(id: number): void {
    if (this.suspended) return;
    const kind = this.index.kind(id);
    if (kind === "parameter") {
      for (const next of this.scheduler.complete(id)) this.ready(next);
      return this.maybeFinish();
    }
    if (kind === "sublattice") return void this.runSublattice(id);
    if (!this.index.isTask(id)) {
      let output: Uint8Array;
      try {
        output = encode(helperValue(this.index.node(id), this.index.dataInputs(id), (n) => decode(this.outputOf(n))));
      } catch (error) {
        return this.fail(id, taskError(error));
      } finally {
        this.consumeInputs(id);
      }
      return this.complete(id, output);
    }
    const task = this.kindOf(id);
    const impossible = this.env.executors.impossible(task.executor, task.needs);
    if (impossible) {
      return this.fail(id, { name: "ResourceError", message: `electron "${this.index.name(id)}" ${impossible}` });
    }
    if (this.meta.reuseFrom !== undefined || task.options.cache) {
      const prepared = this.prepare(id);
      if (!prepared) return;
      let reused: Uint8Array | undefined;
      if (this.meta.reuseFrom !== undefined) {
        this.reuseKeys ??= this.env.contentKeys(this.meta.reuseFrom);
        const earlier = this.reuseKeys.get(prepared.cacheKey);
        if (earlier !== undefined) reused = this.env.storedOutput(this.meta.reuseFrom, earlier);
      }
      if (!reused && task.options.cache) reused = this.env.findCached(prepared.cacheKey);
      if (reused) {
        this.table.reused[id] = 1;
        return this.complete(id, reused);
      }
    }
    this.env.executors.acquire(task.executor, task.needs, this, id);
  }

  /** Serializes the task's arguments and makes its content key (same code and inputs, same key). */
  private prepare(id: number): Prepared | undefined {
    let args: Uint8Array;
    try {
      args = encode(this.index.callArguments(id, (n) => decode(this.outputOf(n))));
    } catch (error) {
      this.consumeInputs(id);
      this.fail(id, taskError(error));
      return undefined;
    }
    this.consumeInputs(id);
    const cacheKey = createHash("sha256")
      .update(this.index.electronHash(this.index.electronIndex(id)!))
      .update(args)
      .digest("base64url");
    const prepared = { args, cacheKey, shared: this.kindOf(id).options.cache === true };
    this.prepared[id] = prepared;
    return prepared;
  }

  private async attempt(id: number, kind: TaskKind, prepared: Prepared): Promise<void> {
    const t = this.table;
    const { options, executor: executorName, needs } = kind;
    const pool = this.env.executors;
    const attempt = ++t.attempts[id]!;
    const controller = pool.controller();
    this.running[id] = controller;
    let timer: NodeJS.Timeout | undefined;
    let started = false;
    let settled = false;
    // A retry: where the last attempt ran no longer describes this one (its outcome will say).
    if (t.workers.size || t.queuedMs.size) t.setPlace(id, undefined, undefined);
    const running = (at: number): void => {
      started = true;
      t.startedAt[id] = at;
      if (t.waiting.size) t.waiting.delete(id);
      this.setNode(id, RUNNING);
    };
    const start = (at: number): void => {
      if (started || settled || this.suspended || controller.signal.aborted) return;
      running(at);
      if (options.timeoutMs !== undefined) timer = setTimeout(() => this.timedOut(id, controller), options.timeoutMs);
    };
    const reportsStarts = pool.reportsStarts(executorName);
    if (!reportsStarts) start(Date.now());
    const spec = this.taskSpec(id, attempt, kind, prepared);
    let outcome: TaskOutcome | { aborted: unknown };
    try {
      outcome = await pool
        .executor(executorName)
        .submit(
          spec,
          controller.signal,
          reportsStarts ? new AttemptHooks(start, this.waitingFor, id, attempt) : undefined,
        );
    } catch (error) {
      const now = Date.now();
      outcome = controller.signal.aborted
        ? { aborted: controller.signal.reason }
        : { ok: false, error: taskError(error), logs: [], startedAt: started ? t.startedAt[id]! : now, endedAt: now };
    } finally {
      settled = true;
      clearTimeout(timer);
      this.running[id] = undefined;
      if (t.waiting.size) t.waiting.delete(id);
      pool.recycle(controller);
      pool.release(executorName, needs);
    }
    if (this.suspended) return;
    if ("aborted" in outcome && outcome.aborted instanceof Cancelled) {
      this.settleCancelled(id);
      return this.maybeFinish();
    }
    if ("ok" in outcome && (outcome.worker !== undefined || outcome.queuedMs !== undefined)) t.placeFrom(id, outcome);
    // An executor may settle a task it never started (it could not): it still ran, as before, briefly.
    if (!started) running("startedAt" in outcome ? outcome.startedAt : Date.now());
    if ("logs" in outcome && outcome.logs.length) {
      this.env.queue.addLogs({ dispatchId: this.id, nodeId: id, attempt, lines: outcome.logs });
    }
    if ("ok" in outcome && outcome.ok) return this.complete(id, outcome.output);
    const error = "aborted" in outcome ? taskError(outcome.aborted) : outcome.error;
    if (attempt <= (options.retries ?? 0)) {
      t.errors.set(id, error);
      this.setNode(id, PENDING);
      return pool.acquire(executorName, needs, this, id);
    }
    this.fail(id, error);
  }

  private taskSpec(id: number, attempt: number, kind: TaskKind, prepared: Prepared): TaskSpec {
    const name = this.index.name(id);
    const electron = this.index.electrons[this.index.electronIndex(id)!];
    const { args } = prepared;
    const { resources } = kind;
    const volume = this.meta.volume;
    return volume
      ? { dispatchId: this.id, nodeId: id, attempt, name, electron, args, resources, volume }
      : { dispatchId: this.id, nodeId: id, attempt, name, electron, args, resources };
  }

  private timedOut(id: number, controller: AbortController): void {
    const timeoutMs = this.kindOf(id).options.timeoutMs;
    controller.abort(new TimedOut(`electron "${this.index.name(id)}" (node ${id}) timed out after ${timeoutMs} ms`));
  }

  private async runSublattice(id: number): Promise<void> {
    const t = this.table;
    t.attempts[id]!++;
    t.startedAt[id] = Date.now();
    this.setNode(id, RUNNING);
    const controller = new AbortController();
    this.running[id] = controller;
    let outcome: { output: Uint8Array } | { error: TaskError } | "cancelled";
    try {
      let args: unknown[];
      try {
        args = this.index.callArguments(id, (n) => decode(this.outputOf(n)));
      } finally {
        this.consumeInputs(id);
      }
      const electron = this.index.electrons[this.index.electronIndex(id)!];
      outcome = { output: await this.env.runSublattice(id, electron, args, controller.signal) };
    } catch (error) {
      outcome = controller.signal.reason instanceof Cancelled ? "cancelled" : { error: taskError(error) };
    } finally {
      this.running[id] = undefined;
    }
    if (this.suspended) return;
    if (outcome === "cancelled") {
      this.settleCancelled(id);
      return this.maybeFinish();
    }
    if ("error" in outcome) return this.fail(id, outcome.error);
    this.complete(id, outcome.output);
  }

  private kindOf(id: number): TaskKind {
    const at = this.index.optionsIndex(id);
    let kind = this.kinds.get(at);
    if (!kind) {
      const options = this.index.optionsOfNode(id) ?? {};
      const needs = taskNeeds(options);
      const resources: Resources & { cpus: number } = { ...options.resources, cpus: needs.cpus };
      kind = { options, executor: options.executor ?? this.env.executors.defaultName, needs, resources };
      this.kinds.set(at, kind);
    }
    return kind;
  }

  /** The node has read its inputs: outputs nobody else needs can be let go of once stored. */
  private consumeInputs(id: number): void {
    this.index.forEachSource(id, (source) => this.outputs.read(source));
  }

  private outputOf(id: number): Uint8Array {
    if (this.index.kind(id) === "parameter") return this.index.parameterBytes(id);
    const output = this.outputs.get(id) ?? this.env.storedOutput(this.id, id);
    if (!output) throw new Error(`output of node ${id} is missing from dispatch ${this.id}`);
    return output;
  }

  private complete(id: number, output: Uint8Array): void {
    const t = this.table;
    this.outputs.set(id, output);
    t.endedAt[id] = Date.now();
    t.errors.delete(id);
    t.status[id] = COMPLETED;
    const preview =
      output.byteLength > PREVIEW_LIMIT_BYTES
        ? { type: "bytes", preview: `${(output.byteLength / 1e6).toFixed(1)} MB` }
        : previewValue(decode(output));
    const prepared = this.prepared[id];
    this.recorder.node(id, { preview, cacheKey: prepared?.cacheKey, sharedKey: prepared?.shared === true });
    this.prepared[id] = undefined;
    for (const next of this.scheduler.complete(id)) this.ready(next);
    this.maybeFinish();
  }

  private fail(id: number, error: TaskError): void {
    this.table.errors.set(id, error);
    this.table.endedAt[id] = Date.now();
    this.prepared[id] = undefined;
    this.failedNode ??= id;
    this.setNode(id, FAILED);
    for (const blocked of this.scheduler.fail(id)) this.setNode(blocked, CANCELLED);
    this.maybeFinish();
  }

  private settleCancelled(id: number): void {
    this.anyCancelled = true;
    this.table.endedAt[id] = Date.now();
    this.prepared[id] = undefined;
    this.setNode(id, CANCELLED);
    for (const blocked of this.scheduler.fail(id)) this.setNode(blocked, CANCELLED);
  }

  private maybeFinish(): void {
    if (!this.scheduler.finished || this.endedAt !== undefined) return;
    this.endedAt = Date.now();
    let result: Uint8Array | undefined;
    if (this.failedNode !== undefined) {
      const failed = this.failedNode;
      const cause = this.table.errors.get(failed)!;
      this.error = {
        name: "TaskFailed",
        message: `${this.index.kind(failed)} "${this.index.name(failed)}" (node ${failed}) failed: ${cause.message}`,
      };
      if (cause.stack) this.error = { ...this.error, stack: cause.stack };
      this.setDispatch("FAILED");
    } else if (this.anyCancelled) {
      this.setDispatch("CANCELLED");
    } else {
      try {
        result = encode(this.resolve(this.index.output));
        this.setDispatch("COMPLETED", result);
      } catch (error) {
        this.error = taskError(error);
        this.setDispatch("FAILED");
      }
    }
    this.outputs.clear();
    this.prepared.fill(undefined);
    this.env.queue.onCommitted(() => this.env.finished(this));
  }

  private resolve(output: TransportOutput): unknown {
    switch (output.kind) {
      case "future":
        return decode(this.outputOf(output.node));
      case "value":
        return decode(fromBase64(output.data));
      case "array":
        return output.items.map((item) => this.resolve(item));
      case "object":
        return Object.fromEntries(Object.entries(output.entries).map(([k, v]) => [k, this.resolve(v)]));
    }
  }

  private setNode(id: number, status: number): void {
    this.table.status[id] = status;
    this.recorder.node(id);
  }

  private setDispatch(status: Status, result?: Uint8Array): void {
    this.status = status;
    this.recorder.dispatch(this.summary(), result);
  }
}

/** Marks the nodes whose outputs the dispatch's result is made of. */
function markFutures(output: TransportOutput, marks: Uint8Array): void {
  if (output.kind === "future") marks[output.node] = 1;
  else if (output.kind === "array") for (const item of output.items) markFutures(item, marks);
  else if (output.kind === "object") for (const value of Object.values(output.entries)) markFutures(value, marks);
}
