// One dispatch while it runs: moves the graph on as nodes complete — parameters and helper nodes here,
// tasks through their executors (task-runs.ts), sublattices as child dispatches —, cancels, records
// every change through the write queue, and settles the result.
// Per-node state is compact (node-table.ts, output-cache.ts): nothing per node is an object except
// while its task is in flight.
import type { DispatchSummary, NodeState, Status, ValuePreview } from "@valence/schema";
import type { TaskError } from "../executors/executor";
import { taskError } from "../executors/task-error";
import { previewValue } from "../workflow/preview";
import { helperValue } from "../workflow/helper-values";
import type { TransportOutput } from "../workflow/transport";
import type { GraphIndex } from "./graph-index";
import { CANCELLED, COMPLETED, FAILED, NodeTable, RUNNING } from "./node-table";
import { OutputCache } from "./output-cache";
import type { RunEnvironment } from "./run-environment";
import { RunRecorder } from "./run-recorder";
import { Scheduler } from "../shared/scheduler";
import type { NodeRecord } from "./store/records";
import { readValue } from "./argument-bytes";
import { Cancelled, TaskRuns, type TaskHost } from "./task-runs";
import { decode, encode, fromBase64 } from "../shared/values";

export type { RunEnvironment } from "./run-environment";

const PREVIEW_LIMIT_BYTES = 1 << 20;

/** The abort reason when the dispatcher shuts down: stop, but record nothing (the next start resumes). */
export class ShuttingDown extends Error {}

export class DispatchRun implements TaskHost {
  private readonly recorder: RunRecorder;
  private readonly table: NodeTable;
  private readonly outputs: OutputCache;
  private readonly scheduler: Scheduler;
  private readonly tasks: TaskRuns;
  /** Sublattice nodes running as child dispatches, by node id: abort cancels the child. */
  private readonly children = new Map<number, AbortController>();
  private status: Status = "PENDING";
  private startedAt: number | undefined;
  private endedAt: number | undefined;
  private error: TaskError | undefined;
  /** Nodes completed before a restart, when resuming. */
  private readonly restored: number[] | undefined;
  /** Nodes that failed or were cancelled before a restart: settled, they do not run again. */
  private readonly restoredEnded: number[] = [];
  private failedNode: number | undefined;
  private anyCancelled = false;
  /** Set when the dispatcher shuts down: nothing more is recorded, so the next start resumes. */
  private halted = false;

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
      /** The trigger that made the dispatch. */
      triggerId?: string;
    },
  ) {
    const n = index.size;
    this.table = new NodeTable(n);
    const inResult = new Uint8Array(n);
    markFutures(index.output, inResult);
    this.outputs = new OutputCache(n, (i) => index.readersOf(i) + inResult[i]!);
    this.recorder = new RunRecorder(id, this.table, this.outputs, meta.seq, () => env.queue.pending(this.recorder));
    this.scheduler = new Scheduler(index);
    this.tasks = new TaskRuns(id, index, this.table, this.scheduler, env, meta, this);
    // Parameters hold their value from the start: they are complete, and stored as such, at creation.
    for (let i = 0; i < n; i++) if (index.kind(i) === "parameter") this.table.status[i] = COMPLETED;
    if (meta.restored) {
      this.restored = [];
      let firstFailure = Infinity;
      for (const record of meta.restored) {
        if (!index.has(record.nodeId)) continue;
        const status = SETTLED[record.status];
        if (status === undefined) {
          this.restoreUnsettled(record);
          continue;
        }
        const i = record.nodeId;
        if (status === COMPLETED) this.restored.push(i);
        else this.restoredEnded.push(i);
        if (status === FAILED) {
          this.table.errors.set(i, record.error ?? { name: "Error", message: "failed before a restart" });
          if ((record.endedAt ?? 0) < firstFailure) [this.failedNode, firstFailure] = [i, record.endedAt ?? 0];
        }
        if (status === CANCELLED) this.anyCancelled = true;
        this.table.status[i] = status;
        this.table.attempts[i] = record.attempts;
        if (record.startedAt !== undefined) this.table.startedAt[i] = record.startedAt;
        if (record.endedAt !== undefined) this.table.endedAt[i] = record.endedAt;
        if (record.worker || record.queuedMs !== undefined) this.table.setPlace(i, record.worker, record.queuedMs);
      }
    }
  }

  /**
   * A node that had not ended when the dispatcher stopped goes on where it was: the attempts before
   * its last recorded one had failed and stay counted (its retries are not given back); that last
   * one — in flight, waiting for a worker, or failed just before — runs again under its own number,
   * as a task whose worker died does. The logs of one that was running say that it ran before, so a
   * record of one attempt never hides a second run. (A start not yet committed when the process
   * died is not known: that attempt runs again unannounced.)
   */
  private restoreUnsettled(record: NodeRecord): void {
    const i = record.nodeId;
    if (record.attempts <= 0 || !this.index.isTask(i)) return;
    // A PENDING node's last attempt may have failed, or be one waiting for a worker that may have
    // started it since (waiting reasons are recorded with the attempt's number): both run it again.
    this.table.attempts[i] = record.attempts - 1;
    if (record.status !== "RUNNING") return;
    // A sublattice's child dispatch resumes on its own; its own nodes say what ran again.
    if (this.index.kind(i) !== "electron") return;
    this.env.queue.addLogs({
      dispatchId: this.id,
      nodeId: i,
      attempt: record.attempts,
      lines: [
        {
          stream: "stderr",
          text: `[valence] attempt ${record.attempts} was running when the dispatcher stopped; it runs again\n`,
          at: Date.now(),
        },
      ],
    });
  }

  get suspended(): boolean {
    return this.halted;
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
      ...(this.meta.triggerId !== undefined ? { triggerId: this.meta.triggerId } : {}),
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
    // What failed or was cancelled before a restart stays so, and so does what it blocked.
    for (const id of this.restoredEnded) {
      for (const blocked of this.scheduler.fail(id))
        if (this.table.status[blocked] !== CANCELLED) this.setNode(blocked, CANCELLED);
    }
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
      const reason = new Cancelled("cancelled");
      if (this.tasks.abort(id, reason)) continue;
      const child = this.children.get(id);
      if (child) child.abort(reason);
      else this.settleCancelled(id);
    }
    this.maybeFinish();
  }

  /** Stops recording, leaving the stored state as it is for the next start to resume. */
  suspend(): void {
    this.halted = true;
    const reason = new ShuttingDown("dispatcher shutting down");
    this.tasks.abortAll(reason);
    for (const controller of this.children.values()) controller.abort(reason);
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
    this.tasks.ready(id);
  }

  private async runSublattice(id: number): Promise<void> {
    const prepared = this.tasks.prepareSublattice(id);
    if (!prepared) return; // its arguments could not be serialized: it failed
    const t = this.table;
    if (prepared.reused) {
      t.reused[id] = 1;
      return this.complete(id, prepared.reused);
    }
    t.attempts[id]!++;
    t.startedAt[id] = Date.now();
    this.setNode(id, RUNNING);
    const controller = new AbortController();
    this.children.set(id, controller);
    let outcome: { output: Uint8Array } | { error: TaskError } | "cancelled";
    try {
      const electron = this.index.electrons[this.index.electronIndex(id)!];
      outcome = { output: await this.env.runSublattice(id, electron, prepared.args, controller.signal) };
    } catch (error) {
      outcome = controller.signal.reason instanceof Cancelled ? "cancelled" : { error: taskError(error) };
    } finally {
      this.children.delete(id);
    }
    if (this.suspended) return;
    if (outcome === "cancelled") {
      this.settleCancelled(id);
      return this.maybeFinish();
    }
    if ("error" in outcome) return this.fail(id, outcome.error);
    this.complete(id, outcome.output);
  }

  /** The node has read its inputs: outputs nobody else needs can be let go of once stored. */
  consumeInputs(id: number): void {
    this.index.forEachSource(id, (source) => this.outputs.read(source));
  }

  outputOf(id: number): Uint8Array {
    if (this.index.kind(id) === "parameter") return this.index.parameterBytes(id);
    const output = this.outputs.get(id) ?? this.env.storedOutput(this.id, id);
    if (!output) throw new Error(`output of node ${id} is missing from dispatch ${this.id}`);
    return output;
  }

  complete(id: number, output: Uint8Array): void {
    const t = this.table;
    this.outputs.set(id, output);
    t.endedAt[id] = Date.now();
    t.errors.delete(id);
    t.status[id] = COMPLETED;
    const preview =
      output.byteLength > PREVIEW_LIMIT_BYTES
        ? { type: "bytes", preview: `${(output.byteLength / 1e6).toFixed(1)} MB` }
        : previewValue(readValue(output));
    const prepared = this.tasks.settled(id);
    this.recorder.node(id, { preview, cacheKey: prepared?.cacheKey, sharedKey: prepared?.shared === true });
    for (const next of this.scheduler.complete(id)) this.ready(next);
    this.maybeFinish();
  }

  fail(id: number, error: TaskError): void {
    this.table.errors.set(id, error);
    this.table.endedAt[id] = Date.now();
    this.tasks.settled(id);
    this.failedNode ??= id;
    this.setNode(id, FAILED);
    for (const blocked of this.scheduler.fail(id)) this.block(blocked);
    this.maybeFinish();
  }

  /** A node that can never run now (an input failed or was cancelled): CANCELLED, with no attempt it did not make. */
  private block(id: number): void {
    this.tasks.cancelledBeforeStart(id);
    this.setNode(id, CANCELLED);
  }

  private settleCancelled(id: number): void {
    this.anyCancelled = true;
    this.table.endedAt[id] = Date.now();
    this.tasks.settled(id);
    this.setNode(id, CANCELLED);
    for (const blocked of this.scheduler.fail(id)) this.block(blocked);
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
    this.tasks.clear();
    this.env.queue.onCommitted(() => this.env.finished(this.id));
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

  /** The task was cancelled (TaskHost). */
  cancelled(id: number): void {
    this.settleCancelled(id);
    this.maybeFinish();
  }

  changed(id: number): void {
    this.recorder.node(id);
  }

  setNode(id: number, status: number): void {
    this.table.status[id] = status;
    this.recorder.node(id);
  }

  private setDispatch(status: Status, result?: Uint8Array): void {
    this.status = status;
    this.recorder.dispatch(this.summary(), result);
  }
}

/** The stored statuses a resumed dispatch keeps: settled ones. */
const SETTLED: Partial<Record<Status, number>> = { COMPLETED, FAILED, CANCELLED };

/** Marks the nodes whose outputs the dispatch's result is made of. */
function markFutures(output: TransportOutput, marks: Uint8Array): void {
  if (output.kind === "future") marks[output.node] = 1;
  else if (output.kind === "array") for (const item of output.items) markFutures(item, marks);
  else if (output.kind === "object") for (const value of Object.values(output.entries)) markFutures(value, marks);
}
