// What a running dispatch has changed since the write queue's last commit: which node rows to
// update, the dispatch row patch, and the events — numbered densely from the last one stored — kept
// as compact records until the commit turns them into one event block (JSON text) and, only when
// someone subscribes, into messages. No object per event or per node update on the hot path.
import type { DispatchSummary, NodeState, ServerMessage, ValuePreview, WorkerInfo } from "@valence/schema";
import type { TaskError } from "../executors/executor";
import { STATUSES } from "@valence/schema";
import type { NodeTable } from "./node-table";
import type { OutputCache } from "./output-cache";
import type { DispatchPatch } from "./store/records";
import type { NodeRowUpdate, StoreWriter } from "./store/store";
import type { PendingWrites } from "./write-queue";

/** Events per stored block: a client resuming mid-dispatch parses at most this many it already has. */
const BLOCK_EVENTS = 1024;
const DISPATCH_EVENT = -1;

/** What a node that just completed adds to its row. */
export interface Completion {
  readonly preview: ValuePreview;
  /** Its content key (electrons), and whether other dispatches look it up (`cache: true`). */
  readonly cacheKey: string | undefined;
  readonly sharedKey: boolean;
}

export class RunRecorder implements PendingWrites {
  private seq: number;
  private committedSeq: number;
  // Nodes whose row is to be written, each once.
  private readonly dirty: Uint8Array;
  /** By node id, its event since the last commit (-1: none): a later change updates it in place. */
  private readonly eventAt: Int32Array;
  private dirtyIds: number[] = [];
  /** By node id, completed since the last commit: the row gets the output, its preview and content key. */
  private readonly completed: Array<Completion | undefined>;
  private dispatchPatch: { -readonly [K in keyof DispatchPatch]: DispatchPatch[K] } | undefined;
  // Events since the last commit, one slot each in these growable columns.
  private count = 0;
  private evNode = new Int32Array(64);
  private evStatus = new Uint8Array(64);
  private evAttempts = new Int32Array(64);
  private evStarted = new Float64Array(64);
  private evEnded = new Float64Array(64);
  private evReused = new Uint8Array(64);
  /** Sparse per event: the error or preview the node had then, or a dispatch event's summary. */
  private readonly evError = new Map<number, TaskError>();
  private readonly evPreview = new Map<number, ValuePreview>();
  private readonly evDispatch = new Map<number, DispatchSummary>();
  /** Sparse per event, for executors that say: the worker, time queued, or why the task waits. */
  private readonly evWorker = new Map<number, WorkerInfo>();
  private readonly evQueued = new Map<number, number>();
  private readonly evWaiting = new Map<number, string>();
  private readonly row: NodeRowUpdate = {
    status: "PENDING",
    attempts: NaN,
    startedAt: NaN,
    endedAt: NaN,
    error: undefined,
    output: undefined,
    outputPreview: undefined,
    reused: undefined,
    cacheKey: undefined,
    sharedKey: false,
    worker: undefined,
    queuedMs: undefined,
  };

  constructor(
    readonly dispatchId: string,
    private readonly table: NodeTable,
    private readonly outputs: OutputCache,
    lastSeq: number,
    /** Called when the recorder goes from nothing to write to something. */
    private readonly pending: () => void,
  ) {
    this.seq = this.committedSeq = lastSeq;
    this.dirty = new Uint8Array(table.size);
    this.eventAt = new Int32Array(table.size).fill(-1);
    this.completed = new Array<Completion | undefined>(table.size);
  }

  /** The sequence number of the last event recorded (committed or not). */
  get lastSeq(): number {
    return this.seq;
  }

  get hasPending(): boolean {
    return this.count > 0 || this.dirtyIds.length > 0 || this.dispatchPatch !== undefined;
  }

  /**
   * The node's current state (in the table) is an update: record its row and an event. A node changed
   * again before the commit keeps one event, with its latest state: no one has seen the earlier one
   * (events go out after their commit), and a fan-out's tasks then cost one event each, not two.
   */
  node(id: number, completed?: Completion): void {
    this.touch();
    if (!this.dirty[id]) {
      this.dirty[id] = 1;
      this.dirtyIds.push(id);
    }
    if (completed) this.completed[id] = completed;
    const t = this.table;
    let at = this.eventAt[id]!;
    if (at < 0) this.eventAt[id] = at = this.slot();
    else this.clearSparse(at);
    this.evNode[at] = id;
    this.evStatus[at] = t.status[id]!;
    this.evAttempts[at] = t.attempts[id]!;
    this.evStarted[at] = t.startedAt[id]!;
    this.evEnded[at] = t.endedAt[id]!;
    this.evReused[at] = t.reused[id]!;
    const error = t.errors.get(id);
    if (error) this.evError.set(at, error);
    if (completed) this.evPreview.set(at, completed.preview);
    if (t.workers.size || t.queuedMs.size) {
      const worker = t.workers.get(id);
      if (worker) this.evWorker.set(at, worker);
      const queuedMs = t.queuedMs.get(id);
      if (queuedMs !== undefined) this.evQueued.set(at, queuedMs);
    }
    if (t.waiting.size) {
      const reason = t.waiting.get(id);
      if (reason !== undefined) this.evWaiting.set(at, reason);
    }
  }

  dispatch(summary: DispatchSummary, result?: Uint8Array): void {
    this.touch();
    const { status, startedAt, endedAt, error } = summary;
    this.dispatchPatch = {
      ...this.dispatchPatch,
      id: this.dispatchId,
      status,
      ...(startedAt !== undefined ? { startedAt } : {}),
      ...(endedAt !== undefined ? { endedAt } : {}),
      ...(error ? { error } : {}),
      ...(result ? { result } : {}),
    };
    const at = this.slot();
    this.evNode[at] = DISPATCH_EVENT;
    this.evDispatch.set(at, summary);
  }

  /**
   * Writes everything recorded since the last commit (inside the queue's transaction) and returns
   * the events as messages when `messages` is set. The state is kept until `committed()`.
   */
  write(writer: StoreWriter, messages: boolean): ServerMessage[] {
    if (this.dispatchPatch) writer.patchDispatch(this.dispatchPatch);
    const t = this.table;
    const row = this.row;
    // A preview's JSON text serves its row and, without subscribers, its event's text too.
    const previews = new Map<ValuePreview, string>();
    for (const id of this.dirtyIds) {
      const completed = this.completed[id];
      row.status = STATUSES[t.status[id]!]!;
      row.attempts = t.attempts[id]!;
      row.startedAt = t.startedAt[id]!;
      row.endedAt = t.endedAt[id]!;
      row.error = t.errors.get(id);
      row.output = completed ? this.outputs.get(id) : undefined;
      row.outputPreview = completed ? previewText(previews, completed.preview) : undefined;
      row.reused = t.reused[id] ? true : undefined;
      row.cacheKey = completed?.cacheKey;
      row.sharedKey = completed?.sharedKey === true;
      // Where it ran is stored; why it waited is not (live only).
      if (t.workers.size || t.queuedMs.size) {
        const worker = t.workers.get(id);
        row.worker = worker ? JSON.stringify(worker) : undefined;
        row.queuedMs = t.queuedMs.get(id);
      } else {
        row.worker = undefined;
        row.queuedMs = undefined;
      }
      writer.nodeState(this.dispatchId, id, row);
    }
    const out: ServerMessage[] = [];
    for (let start = 0; start < this.count; start += BLOCK_EVENTS) {
      const end = Math.min(this.count, start + BLOCK_EVENTS);
      const first = this.committedSeq + 1 + start;
      if (!messages) {
        // Nobody listens: the block's text is made straight from the columns, no object per event.
        writer.eventBlock(this.dispatchId, first, end - start, this.blockText(start, end, previews));
        continue;
      }
      // The messages are made anyway for subscribers; one JSON.stringify of them all is the cheapest text.
      const block: ServerMessage[] = [];
      for (let at = start; at < end; at++) block.push(this.message(at));
      writer.eventBlock(this.dispatchId, first, end - start, JSON.stringify(block));
      for (const message of block) out.push(message);
    }
    return out;
  }

  /** Events `start` to `end` as the JSON text of their messages (exactly `JSON.stringify` of them). */
  private blockText(start: number, end: number, previews: Map<ValuePreview, string>): string {
    const head = `{"type":"update","dispatchId":${JSON.stringify(this.dispatchId)},"seq":`;
    const sparse = this.evWorker.size || this.evQueued.size || this.evWaiting.size;
    let text = "[";
    for (let at = start; at < end; at++) {
      if (at > start) text += ",";
      text += `${head}${this.committedSeq + 1 + at},`;
      const summary = this.evDispatch.get(at);
      if (summary) {
        text += `"dispatch":${JSON.stringify(summary)}}`;
        continue;
      }
      // Key order and omissions as in `message`.
      text += `"node":{"id":${this.evNode[at]!},"status":"${STATUSES[this.evStatus[at]!]!}","attempts":${this.evAttempts[at]!}`;
      const startedAt = this.evStarted[at]!;
      const endedAt = this.evEnded[at]!;
      if (!Number.isNaN(startedAt)) text += `,"startedAt":${JSON.stringify(startedAt)}`;
      if (!Number.isNaN(endedAt)) text += `,"endedAt":${JSON.stringify(endedAt)}`;
      const error = this.evError.get(at);
      if (error) text += `,"error":${JSON.stringify(error)}`;
      const preview = this.evPreview.get(at);
      if (preview) text += `,"output":${previewText(previews, preview)}`;
      if (this.evReused[at]) text += `,"reused":true`;
      if (sparse) {
        const worker = this.evWorker.get(at);
        if (worker) text += `,"worker":${JSON.stringify(worker)}`;
        const queuedMs = this.evQueued.get(at);
        if (queuedMs !== undefined) text += `,"queuedMs":${JSON.stringify(queuedMs)}`;
        const waiting = this.evWaiting.get(at);
        if (waiting !== undefined) text += `,"waiting":${JSON.stringify(waiting)}`;
      }
      text += "}}";
    }
    return `${text}]`;
  }

  /** The last `write` is committed: forget what it wrote. */
  committed(): void {
    for (const id of this.dirtyIds) {
      this.dirty[id] = 0;
      this.eventAt[id] = -1;
      if (this.completed[id]) {
        this.completed[id] = undefined;
        this.outputs.written(id);
      }
    }
    this.dirtyIds = [];
    this.dispatchPatch = undefined;
    this.committedSeq += this.count;
    this.count = 0;
    this.evError.clear();
    this.evPreview.clear();
    this.evDispatch.clear();
    this.evWorker.clear();
    this.evQueued.clear();
    this.evWaiting.clear();
  }

  private clearSparse(at: number): void {
    this.evError.delete(at);
    this.evPreview.delete(at);
    if (this.evWorker.size) this.evWorker.delete(at);
    if (this.evQueued.size) this.evQueued.delete(at);
    if (this.evWaiting.size) this.evWaiting.delete(at);
  }

  private touch(): void {
    if (!this.hasPending) this.pending();
  }

  private slot(): number {
    if (this.count === this.evNode.length) this.grow();
    this.seq++;
    return this.count++;
  }

  /** Event `at` as the message clients get (schema/protocol.schema.json). */
  private message(at: number): ServerMessage {
    const seq = this.committedSeq + 1 + at;
    const summary = this.evDispatch.get(at);
    if (summary) return { type: "update", dispatchId: this.dispatchId, seq, dispatch: summary };
    const node: NodeState = {
      id: this.evNode[at]!,
      status: STATUSES[this.evStatus[at]!]!,
      attempts: this.evAttempts[at]!,
    };
    const startedAt = this.evStarted[at]!;
    const endedAt = this.evEnded[at]!;
    if (!Number.isNaN(startedAt)) node.startedAt = startedAt;
    if (!Number.isNaN(endedAt)) node.endedAt = endedAt;
    const error = this.evError.get(at);
    if (error) node.error = error;
    const preview = this.evPreview.get(at);
    if (preview) node.output = preview;
    if (this.evReused[at]) node.reused = true;
    if (this.evWorker.size || this.evQueued.size || this.evWaiting.size) {
      const worker = this.evWorker.get(at);
      if (worker) node.worker = worker;
      const queuedMs = this.evQueued.get(at);
      if (queuedMs !== undefined) node.queuedMs = queuedMs;
      const waiting = this.evWaiting.get(at);
      if (waiting !== undefined) node.waiting = waiting;
    }
    return { type: "update", dispatchId: this.dispatchId, seq, node };
  }

  private grow(): void {
    const size = this.evNode.length * 2;
    const grown = <T extends Int32Array | Uint8Array | Float64Array>(old: T, make: (n: number) => T): T => {
      const next = make(size);
      next.set(old);
      return next;
    };
    this.evNode = grown(this.evNode, (n) => new Int32Array(n));
    this.evStatus = grown(this.evStatus, (n) => new Uint8Array(n));
    this.evAttempts = grown(this.evAttempts, (n) => new Int32Array(n));
    this.evStarted = grown(this.evStarted, (n) => new Float64Array(n));
    this.evEnded = grown(this.evEnded, (n) => new Float64Array(n));
    this.evReused = grown(this.evReused, (n) => new Uint8Array(n));
  }
}

function previewText(texts: Map<ValuePreview, string>, preview: ValuePreview): string {
  let text = texts.get(preview);
  if (text === undefined) texts.set(preview, (text = JSON.stringify(preview)));
  return text;
}
