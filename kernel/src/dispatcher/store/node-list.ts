// A dispatch's nodes as created — kind, name, first status — kept as one compact JSON value in
// `dispatch_specs.nodes` instead of a row each (migration 008): a node gets its row in `nodes` when
// it is first written, and reads take a node without a row from here. Writing 20,000 rows at
// creation cost more than the rest of accepting a 10,000-task dispatch; most of them (parameters)
// were never written again. Dispatches stored before keep a row per node and have no list.
import type { NodeKind, Status } from "@valence/schema";
import { Interner } from "../../workflow/interner";
import type { BlockIndex } from "./node-blocks";
import type { NodeRecord } from "./records";

/** The stored form: per node id three indexes (kind, name, status) into the tables; kind -1: no node. */
interface Encoded {
  readonly kinds: readonly NodeKind[];
  readonly names: readonly string[];
  readonly statuses: readonly Status[];
  readonly nodes: readonly number[];
}

export interface ListedNode {
  readonly nodeId: number;
  readonly kind: NodeKind;
  readonly name: string;
  readonly status?: Status;
}

export class NodeList {
  /** Per node id, 1 once this process knows its row exists; made on the first write. */
  private stored: Uint8Array | undefined;
  /** Where its nodes' block entries are (node-blocks.ts); made on first use by the store. */
  blocks: BlockIndex | undefined;
  // Per node id, indexes into the tables, in typed arrays: a kept list costs a few bytes a node.
  private readonly kindAt: Int8Array;
  private readonly statusAt: Uint8Array;
  private readonly nameAt: Uint32Array;
  private readonly tables: Omit<Encoded, "nodes">;

  private constructor(encoded: Encoded) {
    const { nodes, ...tables } = encoded;
    this.tables = tables;
    const size = nodes.length / 3;
    this.kindAt = new Int8Array(size);
    this.statusAt = new Uint8Array(size);
    this.nameAt = new Uint32Array(size);
    for (let i = 0; i < size; i++) {
      this.kindAt[i] = nodes[3 * i]!;
      this.nameAt[i] = nodes[3 * i + 1]!;
      this.statusAt[i] = nodes[3 * i + 2]!;
    }
  }

  /** The list of `nodes` (any order, read once) and its JSON text. */
  static build(nodes: Iterable<ListedNode>): { list: NodeList; text: string } {
    const tables = {
      kinds: new Interner<NodeKind>(),
      names: new Interner<string>(),
      statuses: new Interner<Status>(),
    };
    const flat: number[] = [];
    for (const n of nodes) {
      if (!Number.isSafeInteger(n.nodeId) || n.nodeId < 0) throw new Error(`store: node id ${n.nodeId} is not valid`);
      for (let i = flat.length; i < 3 * n.nodeId; i += 3) flat.push(-1, 0, 0); // ids given out of order
      const k = 3 * n.nodeId;
      flat[k] = tables.kinds.at(n.kind);
      flat[k + 1] = tables.names.at(n.name);
      flat[k + 2] = tables.statuses.at(n.status ?? "NEW_OBJECT");
    }
    const encoded: Encoded = {
      kinds: tables.kinds.values,
      names: tables.names.values,
      statuses: tables.statuses.values,
      nodes: flat,
    };
    const list = new NodeList(encoded);
    list.stored = new Uint8Array(list.size); // a new dispatch has no rows yet
    return { list, text: JSON.stringify(encoded) };
  }

  static parse(text: string): NodeList {
    return new NodeList(JSON.parse(text) as Encoded);
  }

  /** One past the largest node id. */
  get size(): number {
    return this.kindAt.length;
  }

  has(id: number): boolean {
    return id >= 0 && id < this.size && this.kindAt[id]! >= 0;
  }

  kind(id: number): NodeKind {
    return this.tables.kinds[this.kindAt[id]!]!;
  }

  name(id: number): string {
    return this.tables.names[this.nameAt[id]!]!;
  }

  status(id: number): Status {
    return this.tables.statuses[this.statusAt[id]!]!;
  }

  /** The node as stored before its first write. */
  record(dispatchId: string, id: number): NodeRecord {
    const [kind, name, status] = [this.kind(id), this.name(id), this.status(id)];
    return { dispatchId, nodeId: id, kind, name, status, attempts: 0, hasOutput: false, reused: false };
  }

  /** The node before its first write as a positional row of `Store.nodeStateRows`. */
  stateRow(id: number): unknown[] {
    return [id, this.status(id), 0, null, null, null, null, 0, null, null];
  }

  /** Whether this process knows the node's row exists; `storedIds` lists them, asked once. */
  isStored(id: number, storedIds: () => Iterable<number>): boolean {
    if (!this.stored) {
      this.stored = new Uint8Array(this.size);
      for (const stored of storedIds()) if (stored < this.size) this.stored[stored] = 1;
    }
    return this.stored[id] === 1;
  }

  markStored(id: number, stored = true): void {
    if (this.stored) this.stored[id] = stored ? 1 : 0;
  }
}

/**
 * The lists of recently used dispatches, by id (null: a dispatch stored before lists, with a row per
 * node). Lists of dispatches created in a transaction are seen only inside it until it commits.
 */
export class NodeLists {
  /** Lists kept, at most: this many nodes in all (the last one asked for is kept whatever its size). */
  private static readonly KEEP_NODES = 250_000;
  /**
   * What a list costs besides its nodes, counted as nodes: its typed arrays, tables and block index
   * take ~4 KB however small it is, ~16 bytes a node. Counted as 1, the cache kept 125,000 one-node
   * lists (~500 MB), and the heap grew with every small dispatch.
   */
  private static readonly LIST_COST = 256;
  private kept = 0;
  private readonly cache = new Map<string, NodeList | null>();
  private pending: Array<[string, NodeList]> = [];
  /** The last one asked for: a commit writes many nodes of one dispatch in a row. */
  private last: [string, NodeList | null] | undefined;

  constructor(private readonly load: (dispatchId: string) => { nodes: string | null } | undefined) {}

  /** The dispatch's list; null when it has none; undefined when the dispatch is unknown. */
  get(dispatchId: string): NodeList | null | undefined {
    for (const [id, list] of this.pending) if (id === dispatchId) return list;
    if (this.last?.[0] === dispatchId) return this.last[1];
    let list = this.cache.get(dispatchId);
    if (list !== undefined) {
      this.forget(dispatchId); // most recently used last
    } else {
      const row = this.load(dispatchId);
      if (!row) return undefined;
      list = row.nodes === null ? null : NodeList.parse(row.nodes);
    }
    this.remember(dispatchId, list);
    return list;
  }

  /** Lists kept (for tests). */
  get size(): number {
    return this.cache.size;
  }

  /** A list written in the current transaction. */
  add(dispatchId: string, list: NodeList): void {
    this.pending.push([dispatchId, list]);
  }

  /**
   * The current transaction ended: its lists are kept if it committed. After a rollback the block
   * indexes are made again from what is stored: they may name blocks that are gone.
   */
  settle(committed: boolean): void {
    if (committed) for (const [id, list] of this.pending) this.remember(id, list);
    else for (const list of this.cache.values()) if (list) list.blocks = undefined;
    this.pending = [];
  }

  /** Forgets the lists of dispatches that were deleted. */
  drop(dispatchIds: readonly string[]): void {
    for (const id of dispatchIds) this.forget(id);
    if (this.last && dispatchIds.includes(this.last[0])) this.last = undefined;
  }

  private remember(dispatchId: string, list: NodeList | null): void {
    this.last = [dispatchId, list];
    this.forget(dispatchId);
    this.cache.set(dispatchId, list);
    this.kept += NodeLists.LIST_COST + (list?.size ?? 0);
    for (const id of this.cache.keys()) {
      if (this.kept <= NodeLists.KEEP_NODES || id === dispatchId) break;
      this.forget(id);
    }
  }

  private forget(dispatchId: string): void {
    const list = this.cache.get(dispatchId);
    if (list === undefined) return;
    this.cache.delete(dispatchId);
    this.kept -= NodeLists.LIST_COST + (list?.size ?? 0);
  }
}
