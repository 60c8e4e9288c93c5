// The tasks of one dispatch on their executors: a ready task's arguments and content key (and a reused
// or cached output instead of a run), its executor capacity, each attempt — with the tasks that may
// follow it on the same worker (follow-ups.ts) —, retries, timeouts, and aborts for cancel. What came
// of each task goes back to the dispatch run (TaskHost), which records it and moves the graph on.
import type { ElectronOptionsDocument, Resources } from "@valence/schema";
import { contentKey, contentKeyOfValues } from "./content-key";
import type { TaskError, TaskOutcome, TaskSpec } from "../executors/executor";
import { taskError } from "../executors/task-error";
import type { WaitingReport } from "./attempt-hooks";
import { taskNeeds, type TaskNeeds, type TaskOwner } from "./executor-pool";
import { followUps, type ChainSource, type FollowLink } from "./follow-ups";
import type { GraphIndex } from "./graph-index";
import { PENDING, RUNNING, type NodeTable } from "./node-table";
import type { Scheduler } from "../shared/scheduler";
import { TaskAttempt, type AttemptEnd, type AttemptHost } from "./task-attempt";
import { joinArguments } from "./argument-bytes";
import { decode, encode } from "../shared/values";
import type { RunEnvironment } from "./run-environment";

/** The abort reason of a task the user cancelled. */
export class Cancelled extends Error {}
class TimedOut extends Error {}

/** What the tasks report to: the dispatch run. */
export interface TaskHost {
  readonly suspended: boolean;
  outputOf(id: number): Uint8Array;
  /** The node has read its inputs. */
  consumeInputs(id: number): void;
  complete(id: number, output: Uint8Array): void;
  fail(id: number, error: TaskError): void;
  /** The task was cancelled: settle it and what depends on it. */
  cancelled(id: number): void;
  setNode(id: number, status: number): void;
  /** The node's state changed in the table (its waiting reason): record it. */
  changed(id: number): void;
}

/** What the tasks sharing one options document share: executor, needs, resources. */
interface TaskKind {
  readonly options: ElectronOptionsDocument;
  readonly executor: string;
  readonly needs: TaskNeeds;
  readonly resources: TaskSpec["resources"];
}

/** A task's serialized arguments and content key, made once its inputs are all known. */
export interface Prepared {
  readonly args: Uint8Array;
  readonly cacheKey: string;
  /** The electron has `cache: true`: its key is looked up from other dispatches. */
  readonly shared: boolean;
}

const NO_LINKS: readonly FollowLink[] = [];

export class TaskRuns implements TaskOwner, AttemptHost {
  /** By node id: the controller of a task in flight, the arguments of a task between ready and done. */
  private readonly inFlight: Array<AbortController | undefined>;
  private readonly prepared: Array<Prepared | undefined>;
  private readonly kinds = new Map<number, TaskKind>();
  /** The content keys of `reuseFrom`, read at the first lookup. */
  private reuseKeys: Map<string, number> | undefined;
  private readonly chainSource: ChainSource;
  /** Follow-ups handed to an executor and not settled yet, by node (a chain's later links). */
  private readonly followingUp = new Map<number, TaskAttempt>();
  /** Follow-up attempts taken back when their node was cancelled before they started. */
  private readonly takenBack = new WeakSet<TaskAttempt>();

  constructor(
    private readonly dispatchId: string,
    private readonly index: GraphIndex,
    private readonly table: NodeTable,
    private readonly scheduler: Scheduler,
    private readonly env: RunEnvironment,
    private readonly meta: { readonly reuseFrom?: string; readonly volume?: { name: string; path: string } },
    private readonly host: TaskHost,
  ) {
    this.inFlight = new Array<AbortController | undefined>(index.size);
    this.prepared = new Array<Prepared | undefined>(index.size);
    this.chainSource = {
      dependantsOf: (id) => index.dependantsOf(id),
      waitingOn: (id) => scheduler.waitingOn(id),
      mayFollow: (id, first) => this.mayFollow(id, first),
      callArguments: (id, valueOf) => index.callArguments(id, valueOf),
      outputValue: (id) => decode(host.outputOf(id)),
    };
  }

  get suspended(): boolean {
    return this.host.suspended;
  }

  /** An executor holds a task it cannot place yet (reason), or no longer (undefined): a live update. */
  readonly waitingFor: WaitingReport = (id, attempt, reason) => {
    const t = this.table;
    // Only the attempt in flight, before it starts (a started or settled one is past waiting).
    if (this.suspended || !this.inFlight[id] || t.attempts[id] !== attempt || t.status[id] !== PENDING) return;
    if (t.setWaiting(id, reason)) this.host.changed(id);
  };

  /** The task's inputs are all complete: reuse or cache its output, or queue it for its executor. */
  ready(id: number): void {
    // A follow-up already on its way: its arguments are all known now (kept for a retry, and its key).
    if (this.inFlight[id]) return void this.prepare(id);
    const task = this.kindOf(id);
    const impossible = this.env.executors.impossible(task.executor, task.needs);
    if (impossible) {
      return this.host.fail(id, { name: "ResourceError", message: `electron "${this.index.name(id)}" ${impossible}` });
    }
    if (this.meta.reuseFrom !== undefined || task.options.cache) {
      const prepared = this.prepare(id);
      if (!prepared) return;
      let reused = this.reusedOutput(prepared.cacheKey);
      if (!reused && task.options.cache) reused = this.env.findCached(prepared.cacheKey);
      if (reused) {
        this.table.reused[id] = 1;
        return this.host.complete(id, reused);
      }
    }
    this.env.executors.acquire(task.executor, task.needs, this, id);
  }

  /**
   * A sublattice node's arguments, prepared like a task's: its content key (its code is the
   * sublattice's lattice and functions) is recorded when it completes, and `reused` is the output it
   * had in `reuseFrom` (redispatch with reuse) with the same key: then its child dispatch need not
   * run. undefined: its arguments could not be serialized (the node failed).
   */
  prepareSublattice(id: number): { readonly args: unknown[]; readonly reused: Uint8Array | undefined } | undefined {
    const prepared = this.prepare(id);
    if (!prepared) return undefined;
    return { args: decode(prepared.args) as unknown[], reused: this.reusedOutput(prepared.cacheKey) };
  }

  /** The output of the node of `reuseFrom` (redispatch with reuse) that completed with this content key. */
  private reusedOutput(cacheKey: string): Uint8Array | undefined {
    const { reuseFrom } = this.meta;
    if (reuseFrom === undefined) return undefined;
    this.reuseKeys ??= this.env.contentKeys(reuseFrom);
    const earlier = this.reuseKeys.get(cacheKey);
    return earlier === undefined ? undefined : this.env.storedOutput(reuseFrom, earlier);
  }

  /** Called by the executor pool when the task's needs fit. */
  startTask(id: number, needs: TaskNeeds): void {
    const kind = this.kindOf(id);
    if (this.suspended || this.scheduler.isSettled(id)) return this.env.executors.release(kind.executor, needs);
    const prepared = this.prepared[id] ?? this.prepare(id);
    if (!prepared) return this.env.executors.release(kind.executor, needs);
    this.attempt(id, kind, prepared);
  }

  /** Aborts the task if it is in flight (the abort settles it); false if it is not. */
  abort(id: number, reason: unknown): boolean {
    const controller = this.inFlight[id];
    controller?.abort(reason);
    return controller !== undefined;
  }

  abortAll(reason: unknown): void {
    for (const controller of this.inFlight) controller?.abort(reason);
  }

  /** The task settled: what was prepared for it (its content key) is let go of and returned. */
  settled(id: number): Prepared | undefined {
    const prepared = this.prepared[id];
    this.prepared[id] = undefined;
    return prepared;
  }

  clear(): void {
    this.prepared.fill(undefined);
  }

  /** The task started running (AttemptHost). */
  running(id: number, at: number): void {
    const t = this.table;
    t.startedAt[id] = at;
    if (t.waiting.size) t.waiting.delete(id);
    this.host.setNode(id, RUNNING);
  }

  timedOut(id: number, controller: AbortController): void {
    const timeoutMs = this.kindOf(id).options.timeoutMs;
    controller.abort(new TimedOut(`electron "${this.index.name(id)}" (node ${id}) timed out after ${timeoutMs} ms`));
  }

  /** Serializes the task's arguments and makes its content key (same code and inputs, same key). */
  private prepare(id: number): Prepared | undefined {
    let args: Uint8Array;
    let cacheKey: string;
    try {
      const { bytes, values } = this.argumentBytes(id);
      args = bytes;
      // Inside the try too: whatever is wrong with the task's spec fails the task, not the process.
      const electronHash = this.index.electronHash(this.index.electronIndex(id)!);
      cacheKey = values ? contentKeyOfValues(electronHash, values) : contentKey(electronHash, bytes);
    } catch (error) {
      this.host.consumeInputs(id);
      this.host.fail(id, taskError(error));
      return undefined;
    }
    this.host.consumeInputs(id);
    const prepared = {
      args,
      cacheKey,
      // A sublattice's key only serves redispatch with reuse: other dispatches never look it up.
      shared: this.index.kind(id) === "electron" && this.kindOf(id).options.cache === true,
    };
    this.prepared[id] = prepared;
    return prepared;
  }

  /**
   * The task's arguments as v8 bytes: its inputs' bytes joined when they allow it, else serialized
   * from their `values` (then its content key is made from them: content-key.ts).
   */
  private argumentBytes(id: number): { bytes: Uint8Array; values?: unknown[] } {
    const sources = this.index.argumentSources(id);
    if (sources) {
      const parts: Uint8Array[] = [];
      for (let k = 0; k < sources.length; k++) parts.push(this.host.outputOf(sources[k]!));
      const joined = joinArguments(parts);
      if (joined) return { bytes: joined };
    }
    const values = this.index.callArguments(id, (n) => decode(this.host.outputOf(n)));
    return { bytes: encode(values), values };
  }

  /** Starts an attempt of the task, with the tasks that may follow it on the same worker. */
  private attempt(id: number, kind: TaskKind, prepared: Prepared): void {
    const pool = this.env.executors;
    const executor = pool.executor(kind.executor);
    const reportsStarts = pool.reportsStarts(kind.executor);
    // A follow-up skips the reuse lookup `ready` makes: with reuse on, none are made.
    const links =
      executor.submitChain && this.meta.reuseFrom === undefined
        ? followUps(this.chainSource, id, executor.maxFollowUps ?? 0)
        : NO_LINKS;
    const first = this.begin(id, kind);
    const spec = this.taskSpec(id, first.number, kind, prepared.args);
    const options = first.options(reportsStarts);
    if (!links.length) {
      void this.settle(first, kind, true, executor.submit(spec, first.controller.signal, options));
      return;
    }
    const attempts = links.map((link) => this.begin(link.id, this.kindOf(link.id)));
    for (const attempt of attempts) this.followingUp.set(attempt.id, attempt);
    const outcomes = executor.submitChain!(
      spec,
      first.controller.signal,
      options,
      links.map((link, i) => {
        const attempt = attempts[i]!;
        return {
          task: this.taskSpec(link.id, attempt.number, this.kindOf(link.id), link.args),
          inputAt: link.inputAt,
          signal: attempt.controller.signal,
          options: attempt.options(reportsStarts),
        };
      }),
    );
    void this.settle(first, kind, true, outcomes[0]!);
    attempts.forEach((attempt, i) => void this.settle(attempt, this.kindOf(attempt.id), false, outcomes[i + 1]!));
  }

  private begin(id: number, kind: TaskKind): TaskAttempt {
    const t = this.table;
    const controller = this.env.executors.controller();
    this.inFlight[id] = controller;
    // A retry: where the last attempt ran no longer describes this one (its outcome will say).
    if (t.workers.size || t.queuedMs.size) t.setPlace(id, undefined, undefined);
    return new TaskAttempt(id, ++t.attempts[id]!, controller, kind.options.timeoutMs, this);
  }

  /** Acts on how the attempt ended. `reserved`: it holds the capacity it acquired (a follow-up holds none). */
  private async settle(
    attempt: TaskAttempt,
    kind: TaskKind,
    reserved: boolean,
    submitted: Promise<TaskOutcome>,
  ): Promise<void> {
    let end: AttemptEnd;
    try {
      end = attempt.ended(await submitted);
    } catch (error) {
      end = attempt.failed(error);
    }
    const { id, number } = attempt;
    const t = this.table;
    const pool = this.env.executors;
    this.inFlight[id] = undefined;
    if (this.followingUp.get(id) === attempt) this.followingUp.delete(id);
    if (t.waiting.size) t.waiting.delete(id);
    pool.recycle(attempt.controller);
    if (reserved) pool.release(kind.executor, kind.needs);
    if (this.suspended) return;
    if ("notRun" in end) return this.notRun(attempt, kind);
    if (this.scheduler.isSettled(id)) return;
    if ("aborted" in end && end.aborted instanceof Cancelled) {
      // Cancelled before it started (a follow-up still waiting behind the task before it): no attempt.
      // Decided here, not when the cancel was asked: a task that started meanwhile may still complete.
      if (!reserved) this.cancelledBeforeStart(id, attempt);
      return this.host.cancelled(id);
    }
    const outcome = "outcome" in end ? end.outcome : undefined;
    if (outcome && (outcome.worker !== undefined || outcome.queuedMs !== undefined)) t.placeFrom(id, outcome);
    // An executor may settle a task it never started (it could not): it still ran, as before, briefly.
    if (!attempt.started) this.running(id, outcome ? outcome.startedAt : Date.now());
    if (outcome?.logs.length) {
      this.env.queue.addLogs({ dispatchId: this.dispatchId, nodeId: id, attempt: number, lines: outcome.logs });
    }
    if (outcome?.ok) return this.host.complete(id, outcome.output);
    const error = outcome ? outcome.error : taskError((end as { aborted: unknown }).aborted);
    if (number <= (kind.options.retries ?? 0)) {
      t.errors.set(id, error);
      this.host.setNode(id, PENDING);
      return pool.acquire(kind.executor, kind.needs, this, id);
    }
    this.host.fail(id, error);
  }

  /**
   * Node `id` is cancelled: with an input that failed or was cancelled, or by the user before its
   * follow-up attempt started. That attempt will not run now: it is taken back before the node is
   * recorded CANCELLED, so no one is told of an attempt that never was.
   */
  cancelledBeforeStart(id: number, attempt = this.followingUp.get(id)): void {
    if (!attempt || attempt.started || this.takenBack.has(attempt)) return;
    this.takenBack.add(attempt);
    this.table.attempts[id]!--;
  }

  /** A follow-up did not run (the task before it did not succeed): as if it had not been tried. */
  private notRun(attempt: TaskAttempt, kind: TaskKind): void {
    const { id } = attempt;
    if (!this.takenBack.has(attempt)) this.table.attempts[id]!--;
    if (this.scheduler.isSettled(id)) return; // its input failed: it was cancelled with it
    if (attempt.started) this.host.setNode(id, PENDING);
    // Prepared once its inputs all completed: it goes the usual way now. Else it will when they do.
    if (this.prepared[id]) this.env.executors.acquire(kind.executor, kind.needs, this, id);
  }

  private taskSpec(id: number, attempt: number, kind: TaskKind, args: Uint8Array): TaskSpec {
    const name = this.index.name(id);
    const electron = this.index.electrons[this.index.electronIndex(id)!];
    const { resources } = kind;
    const { volume } = this.meta;
    const dispatchId = this.dispatchId;
    return volume
      ? { dispatchId, nodeId: id, attempt, name, electron, args, resources, volume }
      : { dispatchId, nodeId: id, attempt, name, electron, args, resources };
  }

  /** Whether task `id` may run right behind `first` on its worker, taking its output (follow-ups.ts). */
  private mayFollow(id: number, first: number): boolean {
    if (this.index.kind(id) !== "electron" || this.inFlight[id] || this.scheduler.isSettled(id)) return false;
    const kind = this.kindOf(id);
    const head = this.kindOf(first);
    if (kind === head) return !kind.options.cache;
    return (
      kind.executor === head.executor &&
      !kind.options.cache &&
      kind.needs.cpus === head.needs.cpus &&
      kind.needs.memoryMB === head.needs.memoryMB &&
      kind.needs.gpus === head.needs.gpus
    );
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
}
