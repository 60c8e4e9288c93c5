// Completed nodes stored a commit at a time (migration 009): every node of a dispatch that one
// transaction completes goes into one row of `node_blocks` — ids, numbers and outputs as binary
// columns, previews, workers and content keys as one JSON text — instead of a row each in `nodes`,
// which was most of what storing a short task cost (npm run bench). Reads merge them with the rows
// and the node list: a node's row, if it has one, is newer than its block entry, and a later block
// newer than an earlier one.
import type { NodeKind, ValuePreview, WorkerInfo } from "@valence/schema";
import { Interner } from "../../workflow/interner";
import type { NodeRecord } from "./records";
import type { BlockRow, NodeRowUpdate } from "./rows";

/** Numbers per node in `numbers`: attempts, started and ended at, queued ms (NaN: none), reused (0/1),
 * preview and worker (indexes into the texts' tables, -1: none), and where its output ends in `outputs`. */
const NUMBERS = 8;
const [ATTEMPTS, STARTED, ENDED, QUEUED, REUSED, PREVIEW, WORKER, OUTPUT_END] = [0, 1, 2, 3, 4, 5, 6, 7] as const;

/** The JSON text of a block: distinct preview and worker texts, and each node's content key. */
interface Texts {
  readonly previews: readonly string[];
  readonly workers: readonly string[];
  readonly keys: ReadonlyArray<string | null>;
}

/**
 * Whether a node's whole state can go into a block: completed, without an error, with its output
 * inline (not a file) and a content key no other dispatch looks up (`cache: true` keys stay indexed
 * in `nodes`).
 */
export function blockable(u: NodeRowUpdate, largeOutputBytes: number): boolean {
  return (
    u.status === "COMPLETED" &&
    u.error === undefined &&
    u.output !== undefined &&
    u.output.byteLength <= largeOutputBytes &&
    !(u.sharedKey && u.cacheKey !== undefined) &&
    !Number.isNaN(u.attempts)
  );
}

/** One dispatch's block as a transaction fills it. */
export class BlockBuilder {
  readonly ids: number[] = [];
  private readonly members = new Set<number>();
  private readonly numbers: number[] = [];
  private readonly outputs: Uint8Array[] = [];
  private bytes = 0;
  private readonly previews = new Interner<string>();
  private readonly workers = new Interner<string>();
  private readonly keys: Array<string | null> = [];

  has(nodeId: number): boolean {
    return this.members.has(nodeId);
  }

  /** Adds a node's whole state (`blockable`); a node added twice keeps its later state. */
  add(nodeId: number, u: NodeRowUpdate): void {
    if (this.members.has(nodeId)) this.drop(nodeId);
    this.members.add(nodeId);
    this.ids.push(nodeId);
    this.outputs.push(u.output!);
    this.bytes += u.output!.byteLength;
    this.keys.push(u.cacheKey ?? null);
    this.numbers.push(
      u.attempts,
      u.startedAt,
      u.endedAt,
      u.queuedMs ?? NaN,
      u.reused ? 1 : 0,
      u.outputPreview === undefined ? -1 : this.previews.at(u.outputPreview),
      u.worker === undefined ? -1 : this.workers.at(u.worker),
      this.bytes,
    );
  }

  /** Takes a node out again (it gets a row in the same transaction: the row is newer). */
  drop(nodeId: number): void {
    if (!this.members.delete(nodeId)) return;
    const at = this.ids.indexOf(nodeId);
    const length = this.outputs[at]!.byteLength;
    this.ids.splice(at, 1);
    this.outputs.splice(at, 1);
    this.keys.splice(at, 1);
    this.numbers.splice(at * NUMBERS, NUMBERS);
    for (let k = at; k < this.ids.length; k++) this.numbers[k * NUMBERS + OUTPUT_END]! -= length;
    this.bytes -= length;
  }

  get size(): number {
    return this.ids.length;
  }

  /** The columns of its `node_blocks` row: node ids, numbers, outputs and texts. */
  columns(): [Buffer, Buffer, Buffer, string] {
    const texts: Texts = { previews: this.previews.values, workers: this.workers.values, keys: this.keys };
    return [
      Buffer.from(Int32Array.from(this.ids).buffer),
      Buffer.from(Float64Array.from(this.numbers).buffer),
      Buffer.concat(this.outputs, this.bytes),
      JSON.stringify(texts),
    ];
  }
}

/** A stored block, read back: entry `at` is node `ids[at]`. */
export class NodeBlock {
  readonly ids: Int32Array;
  private readonly numbers: Float64Array;
  private readonly outputs: Uint8Array;
  private readonly texts: Texts;
  /** About what it takes in memory: its columns, and ~1 KB of objects. */
  readonly bytes: number;

  constructor(row: BlockRow) {
    this.ids = aligned(row.node_ids, Int32Array);
    this.numbers = aligned(row.numbers, Float64Array);
    this.outputs = row.outputs;
    this.texts = JSON.parse(row.texts) as Texts;
    this.bytes =
      1024 + row.node_ids.byteLength + row.numbers.byteLength + row.outputs.byteLength + 2 * row.texts.length;
  }

  output(at: number): Uint8Array {
    const start = at === 0 ? 0 : this.numbers[(at - 1) * NUMBERS + OUTPUT_END]!;
    return this.outputs.subarray(start, this.numbers[at * NUMBERS + OUTPUT_END]!);
  }

  /** The preview's JSON text, or null. */
  preview(at: number): string | null {
    return this.texts.previews[this.numbers[at * NUMBERS + PREVIEW]!] ?? null;
  }

  contentKey(at: number): string | null {
    return this.texts.keys[at] ?? null;
  }

  /** As a positional row of `Store.nodeStateRows`. */
  stateRow(at: number): unknown[] {
    const n = at * NUMBERS;
    const worker = this.texts.workers[this.numbers[n + WORKER]!] ?? null;
    return [
      this.ids[at],
      "COMPLETED",
      this.numbers[n + ATTEMPTS],
      orNull(this.numbers[n + STARTED]!),
      orNull(this.numbers[n + ENDED]!),
      null,
      this.preview(at),
      this.numbers[n + REUSED],
      worker,
      orNull(this.numbers[n + QUEUED]!),
    ];
  }

  /** Entry `at` as the fields of a `nodes` row (when the node gets one, it starts from this). */
  rowValues(at: number): {
    attempts: number;
    startedAt: number | null;
    endedAt: number | null;
    output: Uint8Array;
    preview: string | null;
    reused: boolean;
    contentKey: string | null;
    worker: string | null;
    queuedMs: number | null;
  } {
    const n = at * NUMBERS;
    return {
      attempts: this.numbers[n + ATTEMPTS]!,
      startedAt: orNull(this.numbers[n + STARTED]!),
      endedAt: orNull(this.numbers[n + ENDED]!),
      output: this.output(at),
      preview: this.preview(at),
      reused: this.numbers[n + REUSED] === 1,
      contentKey: this.contentKey(at),
      worker: this.texts.workers[this.numbers[n + WORKER]!] ?? null,
      queuedMs: orNull(this.numbers[n + QUEUED]!),
    };
  }

  record(dispatchId: string, at: number, kind: NodeKind, name: string): NodeRecord {
    const n = at * NUMBERS;
    const [startedAt, endedAt, queuedMs] = [STARTED, ENDED, QUEUED].map((k) => this.numbers[n + k]!);
    const preview = this.preview(at);
    const worker = this.texts.workers[this.numbers[n + WORKER]!];
    return {
      dispatchId,
      nodeId: this.ids[at]!,
      kind,
      name,
      status: "COMPLETED",
      attempts: this.numbers[n + ATTEMPTS]!,
      ...(Number.isNaN(startedAt) ? {} : { startedAt }),
      ...(Number.isNaN(endedAt) ? {} : { endedAt }),
      ...(preview !== null ? { outputPreview: JSON.parse(preview) as ValuePreview } : {}),
      hasOutput: true,
      reused: this.numbers[n + REUSED] === 1,
      ...(worker !== undefined ? { worker: JSON.parse(worker) as WorkerInfo } : {}),
      ...(Number.isNaN(queuedMs) ? {} : { queuedMs }),
    };
  }
}

/**
 * Blocks read lately, of every dispatch, kept up to a number of bytes (their outputs mostly, up to 1 MiB
 * each) and of blocks in all. Each dispatch's index once kept its own 8 for as long as its node list was cached:
 * reading 200 finished dispatches' 512 KB outputs kept 100 MB. Block ids are never reused while a
 * block exists (rows are only added), except after a rollback: then `clear`.
 */
export class BlockCache {
  static readonly MAX_BYTES = 8 * 2 ** 20;
  /** A block's objects take ~1 KB of heap: 32 MB of small ones were 27 MB of heap in the fuzz run. */
  static readonly MAX_BLOCKS = 1024;
  private readonly blocks = new Map<number, NodeBlock>();
  private kept = 0;

  constructor(private readonly read: (blockId: number) => BlockRow | undefined) {}

  /** The block, read if it is not kept (undefined: no such block). */
  get(blockId: number): NodeBlock | undefined {
    let block = this.blocks.get(blockId);
    if (block) {
      this.blocks.delete(blockId); // most recently used last
    } else {
      const row = this.read(blockId);
      if (!row) return undefined;
      block = new NodeBlock(row);
      this.kept += block.bytes;
    }
    this.blocks.set(blockId, block);
    // The one just read is kept whatever its size: reads in node id order mostly go block by block.
    for (const [id, old] of this.blocks) {
      if ((this.kept <= BlockCache.MAX_BYTES && this.blocks.size <= BlockCache.MAX_BLOCKS) || id === blockId) break;
      this.blocks.delete(id);
      this.kept -= old.bytes;
    }
    return block;
  }

  /** Bytes of the blocks kept (for tests). */
  get bytes(): number {
    return this.kept;
  }

  /** Blocks kept (for tests). */
  get size(): number {
    return this.blocks.size;
  }

  /** A transaction was rolled back, or blocks deleted: the ids of those blocks will be given again. */
  clear(): void {
    this.blocks.clear();
    this.kept = 0;
  }
}

/**
 * Where each node of one dispatch has its latest block entry. Built on first use from the dispatch's
 * blocks' node ids; blocks this process writes are added as they are. The blocks themselves are
 * read through the store's one BlockCache.
 */
export class BlockIndex {
  /** Per node id: index into `blockIds` (-1: in no block) and position in that block. */
  private readonly blockOf: Int32Array;
  private readonly posOf: Int32Array;
  private readonly blockIds: number[] = [];

  constructor(
    size: number,
    stored: Iterable<{ id: number; node_ids: Uint8Array }>,
    private readonly blocks: BlockCache,
  ) {
    this.blockOf = new Int32Array(size).fill(-1);
    this.posOf = new Int32Array(size);
    for (const { id, node_ids } of stored) this.written(id, aligned(node_ids, Int32Array));
  }

  /** A block just written (in id order after the others). */
  written(blockId: number, ids: ArrayLike<number>): void {
    const b = this.blockIds.push(blockId) - 1;
    for (let at = 0; at < ids.length; at++) {
      const id = ids[at]!;
      if (id < 0 || id >= this.blockOf.length) continue;
      this.blockOf[id] = b;
      this.posOf[id] = at;
    }
  }

  /** The node's latest block entry, or undefined when it is in no block. */
  entry(nodeId: number): { block: NodeBlock; at: number } | undefined {
    const b = this.blockOf[nodeId] ?? -1;
    if (b < 0) return undefined;
    const block = this.blocks.get(this.blockIds[b]!);
    return block ? { block, at: this.posOf[nodeId]! } : undefined;
  }
}

/** The statement an index is built with (statements.ts). */
interface BlockStatements {
  readonly nodeBlockIds: { iterate(dispatchId: string): Iterable<{ id: number; node_ids: Uint8Array }> };
}

/** What keeps a dispatch's block index (a NodeList): its node count, and the index once made. */
export interface BlockHolder {
  readonly size: number;
  blocks: BlockIndex | undefined;
}

/** The dispatch's block index, read from the store on first use (`list` is the dispatch's node list). */
export function blockIndexOf(
  list: BlockHolder,
  dispatchId: string,
  st: BlockStatements,
  blocks: BlockCache,
): BlockIndex {
  return (list.blocks ??= new BlockIndex(list.size, st.nodeBlockIds.iterate(dispatchId), blocks));
}

/** A new dispatch's index: it has no blocks yet. */
export function emptyBlockIndex(list: BlockHolder, blocks: BlockCache): BlockIndex {
  return (list.blocks = new BlockIndex(list.size, [], blocks));
}

const orNull = (n: number): number | null => (Number.isNaN(n) ? null : n);

/** A typed view of a BLOB's bytes, copied when they do not start at a multiple of the element size. */
function aligned<T extends Int32Array | Float64Array>(
  bytes: Uint8Array,
  type: { new (buffer: ArrayBuffer, offset: number, length: number): T; readonly BYTES_PER_ELEMENT: number },
): T {
  const size = type.BYTES_PER_ELEMENT;
  const source = bytes.byteOffset % size === 0 ? bytes : Uint8Array.prototype.slice.call(bytes);
  return new type(source.buffer as ArrayBuffer, source.byteOffset, source.byteLength / size);
}
