// One dispatch while it runs: hands ready nodes to executors (within their capacity), retries,
// enforces timeouts, cancels, records every change through the write queue, and settles the result.
import type { NodeState, Status, DispatchSummary } from "@valence/schema";
import type { ElectronOptionsDocument } from "@valence/schema";
import { createHash } from "node:crypto";
import type { TaskError, TaskOutcome } from "../executors/executor";
import { taskError } from "../executors/task-error";
import { previewValue } from "../workflow/preview";
import type { TransportOutput } from "../workflow/transport";
import { DEFAULT_EXECUTOR, taskNeeds, type ExecutorPool, type TaskNeeds } from "./executor-pool";
import type { GraphIndex } from "./graph-index";
import { decodeArguments, isTask, resolveHelper } from "./helper-nodes";
import { RunRecorder } from "./run-recorder";
import { Scheduler } from "./scheduler";
import type { NodeRecord } from "./store/records";
import { decode, encode, fromBase64 } from "./values";
import type { WriteQueue } from "./write-queue";

export interface RunEnvironment {
  readonly queue: WriteQueue;
  readonly executors: ExecutorPool;
  /** A stored output, for nodes completed before a restart. */
  readonly storedOutput: (dispatchId: string, nodeId: number) => Uint8Array | undefined;
  readonly finished: (run: DispatchRun) => void;
  /** A stored output with this content key: in `dispatchId` when given, else in any dispatch. */
  readonly findReusable: (cacheKey: string, dispatchId?: string) => Uint8Array | undefined;
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

export class DispatchRun {
  private readonly recorder: RunRecorder;
  private status: Status = "PENDING";
  private startedAt: number | undefined;
  private endedAt: number | undefined;
  private error: TaskError | undefined;
  private readonly scheduler: Scheduler;
  private readonly nodes: NodeState[];
  private readonly outputs = new Map<number, Uint8Array>();
  private readonly running = new Map<number, AbortController>();
  private readonly cacheKeys = new Map<number, string>();
  private failedNode: number | undefined;
  private anyCancelled = false;
  /** Set when the dispatcher shuts down: nothing more is recorded, so the next start resumes. */
  private suspended = false;

  constructor(
    readonly id: string,
    readonly index: GraphIndex,
    private readonly env: RunEnvironment,
    private readonly meta: {
      latticeName: string;
      createdAt: number;
      seq: number;
      restored?: readonly NodeRecord[];
      /** Redispatch with reuse: outputs of this dispatch are taken for nodes whose code and inputs are unchanged. */
      reuseFrom?: string;
      /** The volume every task of the dispatch sees. */
      volume?: { name: string; path: string };
    },
  ) {
    this.recorder = new RunRecorder(id, env.queue, meta.seq);
    this.scheduler = new Scheduler(index);
    // Parameters hold their value from the start: they are complete, and stored as such, at creation.
    this.nodes = index.nodes.map((n) => ({
      id: n.id,
      status: n.kind === "parameter" ? "COMPLETED" : "PENDING",
      attempts: 0,
    }));
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

  /** Current node states, for snapshots. */
  nodeStates(): readonly NodeState[] {
    return this.nodes;
  }

  get lastSeq(): number {
    return this.recorder.lastSeq;
  }

  start(): void {
    const completed: number[] = [];
    for (const record of this.meta.restored ?? []) {
      if (record.status !== "COMPLETED") continue;
      completed.push(record.nodeId);
      const state = this.nodes[record.nodeId]!;
      Object.assign(state, { status: "COMPLETED", attempts: record.attempts });
      if (record.startedAt !== undefined) state.startedAt = record.startedAt;
      if (record.endedAt !== undefined) state.endedAt = record.endedAt;
      if (record.outputPreview) state.output = record.outputPreview;
    }
    const ready = this.meta.restored ? this.scheduler.restore(completed) : this.scheduler.initial();
    this.startedAt ??= Date.now();
    this.setDispatch("RUNNING");
    for (const id of ready) this.ready(id);
    this.maybeFinish();
  }

  /** Cancels the whole dispatch, or the listed nodes and everything downstream of them. */
  cancel(nodeIds?: readonly number[]): void {
    if (this.suspended) return;
    const targets = nodeIds ?? this.index.nodes.map((n) => n.id);
    for (const id of targets) {
      if (id < 0 || id >= this.nodes.length || this.scheduler.isSettled(id)) continue;
      const controller = this.running.get(id);
      if (controller) controller.abort(new Cancelled("cancelled"));
      else this.settleCancelled(id);
    }
    this.maybeFinish();
  }

  /** Stops recording, leaving the stored state as it is for the next start to resume. */
  suspend(): void {
    this.suspended = true;
    for (const controller of this.running.values()) controller.abort(new ShuttingDown("dispatcher shutting down"));
  }

  private ready(id: number): void {
    if (this.suspended) return;
    const node = this.index.node(id);
    if (node.kind === "parameter") {
      for (const next of this.scheduler.complete(id)) this.ready(next);
      return this.maybeFinish();
    }
    if (node.kind === "sublattice") return void this.runSublattice(id);
    if (!isTask(node)) {
      try {
        this.complete(
          id,
          resolveHelper(node, this.index.dataInputs(id), (n) => this.outputOf(n)),
        );
      } catch (error) {
        this.fail(id, taskError(error));
      }
      return;
    }
    const executor = node.options?.executor ?? DEFAULT_EXECUTOR;
    const needs = taskNeeds(node.options);
    const impossible = this.env.executors.impossible(executor, needs);
    if (impossible) return this.fail(id, { name: "ResourceError", message: `electron "${node.name}" ${impossible}` });
    let args: Uint8Array;
    try {
      args = encode(decodeArguments(this.index.dataInputs(id), (n) => this.outputOf(n)));
    } catch (error) {
      return this.fail(id, taskError(error));
    }
    // The node's content key: same code and same inputs give the same key.
    const cacheKey = createHash("sha256")
      .update(this.index.electronHash(node.electron!))
      .update(args)
      .digest("base64url");
    this.cacheKeys.set(id, cacheKey);
    const reused =
      (this.meta.reuseFrom !== undefined ? this.env.findReusable(cacheKey, this.meta.reuseFrom) : undefined) ??
      (node.options?.cache ? this.env.findReusable(cacheKey) : undefined);
    if (reused) {
      this.nodes[id]!.reused = true;
      return this.complete(id, reused);
    }
    this.env.executors.acquire(executor, needs, () => void this.attempt(id, executor, needs, args));
  }

  private async attempt(id: number, executorName: string, needs: TaskNeeds, args: Uint8Array): Promise<void> {
    if (this.suspended || this.scheduler.isSettled(id)) return this.env.executors.release(executorName, needs);
    const node = this.index.node(id);
    const state = this.nodes[id]!;
    const options: ElectronOptionsDocument = node.options ?? {};
    state.attempts++;
    state.startedAt = Date.now();
    this.setNode(id, "RUNNING");
    const controller = new AbortController();
    this.running.set(id, controller);
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(
            () =>
              controller.abort(
                new TimedOut(`electron "${node.name}" (node ${id}) timed out after ${options.timeoutMs} ms`),
              ),
            options.timeoutMs,
          );
    let outcome: TaskOutcome | { aborted: unknown };
    try {
      outcome = await this.env.executors.executor(executorName).submit(
        {
          dispatchId: this.id,
          nodeId: id,
          attempt: state.attempts,
          name: node.name,
          electron: this.index.graph.electrons[node.electron!],
          args,
          resources: { ...options.resources, cpus: needs.cpus },
          ...(this.meta.volume ? { volume: this.meta.volume } : {}),
        },
        controller.signal,
      );
    } catch (error) {
      outcome = controller.signal.aborted
        ? { aborted: controller.signal.reason }
        : { ok: false, error: taskError(error), logs: [], startedAt: state.startedAt, endedAt: Date.now() };
    } finally {
      clearTimeout(timer);
      this.running.delete(id);
      this.env.executors.release(executorName, needs);
    }
    if (this.suspended) return;
    if ("aborted" in outcome && outcome.aborted instanceof Cancelled) {
      this.settleCancelled(id);
      return this.maybeFinish();
    }
    if ("logs" in outcome) {
      this.env.queue.addLogs({ dispatchId: this.id, nodeId: id, attempt: state.attempts, lines: outcome.logs });
    }
    if ("ok" in outcome && outcome.ok) return this.complete(id, outcome.output);
    const error = "aborted" in outcome ? taskError(outcome.aborted) : outcome.error;
    if (state.attempts <= (options.retries ?? 0)) {
      state.error = error;
      this.setNode(id, "PENDING");
      return this.env.executors.acquire(executorName, needs, () => void this.attempt(id, executorName, needs, args));
    }
    this.fail(id, error);
  }

  private async runSublattice(id: number): Promise<void> {
    const node = this.index.node(id);
    const state = this.nodes[id]!;
    state.attempts++;
    state.startedAt = Date.now();
    this.setNode(id, "RUNNING");
    const controller = new AbortController();
    this.running.set(id, controller);
    let outcome: { output: Uint8Array } | { error: TaskError } | "cancelled";
    try {
      const args = decodeArguments(this.index.dataInputs(id), (n) => this.outputOf(n));
      const electron = this.index.graph.electrons[node.electron!];
      outcome = { output: await this.env.runSublattice(id, electron, args, controller.signal) };
    } catch (error) {
      outcome = controller.signal.reason instanceof Cancelled ? "cancelled" : { error: taskError(error) };
    } finally {
      this.running.delete(id);
    }
    if (this.suspended) return;
    if (outcome === "cancelled") {
      this.settleCancelled(id);
      return this.maybeFinish();
    }
    if ("error" in outcome) return this.fail(id, outcome.error);
    this.complete(id, outcome.output);
  }

  private outputOf(id: number): Uint8Array {
    const node = this.index.node(id);
    if (node.kind === "parameter") return fromBase64(node.value ?? "");
    const output = this.outputs.get(id) ?? this.env.storedOutput(this.id, id);
    if (!output) throw new Error(`output of node ${id} is missing from dispatch ${this.id}`);
    return output;
  }

  private complete(id: number, output: Uint8Array): void {
    const state = this.nodes[id]!;
    this.outputs.set(id, output);
    state.endedAt = Date.now();
    delete state.error;
    state.output =
      output.byteLength > PREVIEW_LIMIT_BYTES
        ? { type: "bytes", preview: `${(output.byteLength / 1e6).toFixed(1)} MB` }
        : previewValue(decode(output));
    this.setNode(id, "COMPLETED", output);
    for (const next of this.scheduler.complete(id)) this.ready(next);
    this.maybeFinish();
  }

  private fail(id: number, error: TaskError): void {
    const state = this.nodes[id]!;
    state.error = error;
    state.endedAt = Date.now();
    this.failedNode ??= id;
    this.setNode(id, "FAILED");
    for (const blocked of this.scheduler.fail(id)) this.setNode(blocked, "CANCELLED");
    this.maybeFinish();
  }

  private settleCancelled(id: number): void {
    this.anyCancelled = true;
    this.nodes[id]!.endedAt = Date.now();
    this.setNode(id, "CANCELLED");
    for (const blocked of this.scheduler.fail(id)) this.setNode(blocked, "CANCELLED");
  }

  private maybeFinish(): void {
    if (!this.scheduler.finished || this.endedAt !== undefined) return;
    this.endedAt = Date.now();
    let result: Uint8Array | undefined;
    if (this.failedNode !== undefined) {
      const node = this.index.node(this.failedNode);
      const cause = this.nodes[this.failedNode]!.error!;
      this.error = {
        name: "TaskFailed",
        message: `${node.kind} "${node.name}" (node ${node.id}) failed: ${cause.message}`,
      };
      if (cause.stack) this.error = { ...this.error, stack: cause.stack };
      this.setDispatch("FAILED");
    } else if (this.anyCancelled) {
      this.setDispatch("CANCELLED");
    } else {
      try {
        result = encode(this.resolve(this.index.graph.output));
        this.setDispatch("COMPLETED", result);
      } catch (error) {
        this.error = taskError(error);
        this.setDispatch("FAILED");
      }
    }
    this.outputs.clear();
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

  private setNode(id: number, status: Status, output?: Uint8Array): void {
    const state = this.nodes[id]!;
    state.status = status;
    const cacheKey = status === "COMPLETED" ? this.cacheKeys.get(id) : undefined;
    this.recorder.node(state, { ...(output ? { output } : {}), ...(cacheKey ? { cacheKey } : {}) });
  }

  private setDispatch(status: Status, result?: Uint8Array): void {
    this.status = status;
    this.recorder.dispatch(this.summary(), result);
  }
}
