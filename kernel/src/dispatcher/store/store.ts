// The dispatcher's durable state in SQLite (WAL): dispatches with their graph, lattice and inputs;
// node states and outputs (large ones in files beside the database); events for websocket resume;
// task logs. Writes arrive as batches and commit in one transaction each (store-writer.ts); statements
// are prepared once.
import Database, { type Database as DB } from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Status } from "@valence/schema";
import { privateFile } from "../private-dir";
import { migrate } from "./migrations";
import { BlockCache, blockIndexOf, NodeBlock } from "./node-blocks";
import { NodeLists, type NodeList } from "./node-list";
import { readOutputFile } from "./output-files";
import type { DispatchEvent, DispatchRecord, NodeRecord, WriteBatch } from "./records";
import { dispatchRecord, logLine, nodeRecord, type StoredLogLine } from "./rows";
import { prepareStatements, type Prepared, type Statements } from "./statements";
import { StoreWriter } from "./store-writer";
import { TriggerTable } from "./trigger-table";

export type { StoredLogLine } from "./rows";
export type { StoreWriter, NodeRowUpdate } from "./store-writer";

export interface StoreOptions {
  /**
   * Outputs larger than this many bytes go to a file (`outputs/<dispatchId>/<nodeId>.bin`) instead of
   * the database; outputs of exactly this size stay inline. Default 1 MiB (1,048,576).
   */
  readonly largeOutputBytes?: number;
}

export interface ListDispatchesOptions {
  /** At most this many dispatches, newest first. Default 50. */
  readonly limit?: number;
  /** Only dispatches with this status. */
  readonly status?: Status;
  /** Only the child dispatches of this dispatch (sublattices). */
  readonly parentId?: string;
  /** Only dispatches of the lattice with this name. */
  readonly latticeName?: string;
}

/**
 * better-sqlite3 loads its native binary on first use. An install whose npm skipped its install
 * script (--ignore-scripts, allowScripts) has none, and the bindings error alone does not say why.
 */
function openDatabase(file: string): DB {
  try {
    return new Database(file);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (
      !(error instanceof Error) ||
      !(/Could not locate the bindings file/.test(error.message) || code === "ERR_DLOPEN_FAILED")
    )
      throw error;
    throw new Error(
      "better-sqlite3 (the dispatcher's store) has no usable native binary: its install script did not run, " +
        "or ran for another Node.js. Where valence-workflows is installed, run " +
        "`npm install-scripts approve better-sqlite3 && npm rebuild better-sqlite3`.",
      { cause: error },
    );
  }
}

export class Store {
  private readonly st: Statements;
  private readonly writer: StoreWriter;
  private readonly inTransaction: <T>(body: (writer: StoreWriter) => T) => T;
  /** Nodes as created, for nodes not written since (node-list.ts). */
  private readonly lists: NodeLists;
  /** Completed nodes' blocks read lately, of every dispatch (node-blocks.ts). */
  private readonly blocks: BlockCache;
  /** The triggers' rows (trigger-table.ts). */
  readonly triggers: TriggerTable;

  private constructor(
    private readonly db: DB,
    /** The directory holding `valence.db` and `outputs/`. */
    readonly dataDir: string,
    largeOutputBytes: number,
  ) {
    this.st = prepareStatements(db);
    this.triggers = new TriggerTable(db);
    this.lists = new NodeLists((id) => this.st.getNodeList.get(id));
    this.blocks = new BlockCache((id) => this.st.getNodeBlock.get(id));
    this.writer = new StoreWriter(this.st, dataDir, largeOutputBytes, this.lists, this.blocks);
    const transaction = db.transaction((body: (writer: StoreWriter) => unknown) => {
      this.writer.begin();
      const result = body(this.writer);
      this.writer.end();
      return result;
    });
    // Node lists of new dispatches are kept once the outermost transaction commits.
    let depth = 0;
    this.inTransaction = <T>(body: (writer: StoreWriter) => T): T => {
      let committed = false;
      depth++;
      try {
        const result = transaction(body) as T;
        committed = true;
        return result;
      } finally {
        if (!committed) {
          this.writer.discard();
          this.blocks.clear();
        }
        if (--depth === 0 || !committed) this.lists.settle(committed && depth === 0);
      }
    };
  }

  /** Opens (creating if needed) `dataDir/valence.db` and `dataDir/outputs/`, migrating an older file. */
  static open(dataDir: string, options: StoreOptions = {}): Store {
    mkdirSync(join(dataDir, "outputs"), { recursive: true, mode: 0o700 });
    privateFile(join(dataDir, "valence.db"));
    const db = openDatabase(join(dataDir, "valence.db"));
    try {
      db.pragma("busy_timeout = 5000");
      db.pragma("journal_mode = WAL");
      // A commit survives a killed process; only a power loss can take the last few (fsync at checkpoints).
      db.pragma("synchronous = NORMAL");
      // Checkpoint every 10,000 pages of WAL instead of SQLite's 1,000: a node row updated many times is
      // copied to the database once, and fsyncs are rarer (less time per task in npm run bench).
      db.pragma("wal_autocheckpoint = 10000");
      // 4 MB of page cache, not better-sqlite3's 16 MB: writes go mostly to recent pages, and the
      // dispatcher's whole footprint is meant to stay near 200 MB with 100,000 nodes.
      db.pragma("cache_size = -4000");
      db.pragma("foreign_keys = ON");
      migrate(db);
      return new Store(db, dataDir, options.largeOutputBytes ?? 1024 * 1024);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /**
   * Writes a batch in one transaction: all of it, or — on any error — none of it. Order within the
   * batch: new dispatches (with their nodes), dispatch patches, node patches, events, logs. Events
   * must continue their dispatch's sequence densely (last stored seq + 1, + 2, ...).
   */
  apply(batch: WriteBatch): void {
    this.transaction((w) => {
      for (const d of batch.newDispatches ?? []) w.insertDispatch(d);
      for (const p of batch.dispatches ?? []) w.patchDispatch(p);
      for (const p of batch.nodes ?? []) w.patchNode(p);
      if (batch.events?.length) w.events(batch.events);
      for (const l of batch.logs ?? []) w.logs(l);
    });
  }

  /** Runs `body` in one transaction: everything it writes commits, or — if it throws — nothing. */
  transaction<T>(body: (writer: StoreWriter) => T): T {
    return this.inTransaction(body);
  }

  /** The stored output of a completed node with this content key, in `dispatchId` or in any dispatch. */
  findOutputByKey(cacheKey: string, dispatchId?: string): Uint8Array | undefined {
    const row =
      dispatchId === undefined ? this.st.byKey.get(cacheKey) : this.st.byKeyIn.get(cacheKey, cacheKey, dispatchId);
    if (row) return this.getNodeOutput(row.dispatch_id, row.node_id);
    // Keys only other dispatches look up (`cache: true`) are in rows; a dispatch's own may be in blocks.
    const inBlock = dispatchId === undefined ? undefined : this.contentKeys(dispatchId).get(cacheKey);
    return inBlock === undefined ? undefined : this.getNodeOutput(dispatchId!, inBlock);
  }

  /** The content keys of a dispatch's completed nodes (node id by key): one read for a whole redispatch. */
  contentKeys(dispatchId: string): Map<string, number> {
    const keys = new Map<string, number>();
    for (const row of this.st.contentKeys.iterate(dispatchId)) if (!keys.has(row.key)) keys.set(row.key, row.node_id);
    for (const row of this.st.nodeBlockTexts.iterate(dispatchId)) {
      const block = new NodeBlock(row);
      for (let at = 0; at < block.ids.length; at++) {
        const key = block.contentKey(at);
        if (key !== null && !keys.has(key)) keys.set(key, block.ids[at]!);
      }
    }
    return keys;
  }

  getDispatch(id: string): DispatchRecord | undefined {
    const row = this.st.getDispatch.get(id);
    return row && dispatchRecord(row);
  }

  /** Dispatches newest first (by `createdAt`, then by insertion). */
  listDispatches(options: ListDispatchesOptions = {}): DispatchRecord[] {
    const { status, parentId, latticeName, limit = 50 } = options;
    const filters = [status, parentId, latticeName];
    const bits = filters.reduce<number>((sum, value, i) => sum | (value === undefined ? 0 : 1 << i), 0);
    return this.st.list[bits]!.all(...filters.filter((value) => value !== undefined), limit).map(dispatchRecord);
  }

  /** Deletes these dispatches' rows in one transaction: their nodes, events, logs and specs go with them. */
  deleteDispatches(ids: readonly string[]): void {
    this.transaction(() => ids.forEach((id) => this.st.deleteDispatch.run(id)));
    // SQLite gives the ids of the last blocks deleted to the next ones written: a block kept under
    // such an id would be read for another dispatch's nodes.
    this.blocks.clear();
    this.lists.drop(ids);
  }

  /** The ids of the dispatches a dispatch's sublattice nodes started. */
  childIds(id: string): string[] {
    return this.st.childIds.all(id).map((row) => row.id);
  }

  /** Top-level dispatches (not a sublattice's): the finished ones' ids, and how many are not finished. */
  topLevel(): { readonly finished: string[]; readonly unfinished: number } {
    return {
      finished: this.st.finishedTopLevel.all().map((row) => row.id),
      unfinished: this.st.unfinishedTopLevel.get()!.n,
    };
  }

  /** How many dispatches name the volume `name`. */
  volumeUsers(name: string): number {
    return this.st.volumeUsers.get(name)!.n;
  }

  /** Dispatches still NEW_OBJECT, PENDING or RUNNING — the ones to resume after a restart — oldest first. */
  unfinishedDispatches(): DispatchRecord[] {
    return this.st.unfinished.all().map(dispatchRecord);
  }

  /** Every node of a dispatch, by node id. For very large dispatches prefer `iterateNodes`. */
  getNodes(dispatchId: string): NodeRecord[] {
    return [...this.iterateNodes(dispatchId)];
  }

  /** The nodes of a dispatch by node id, one row at a time (constant memory whatever the size). */
  *iterateNodes(dispatchId: string): IterableIterator<NodeRecord> {
    // A generator: nothing is read, and the connection is not busy, until the first node is asked for.
    const list = this.lists.get(dispatchId);
    const rows = this.st.getNodes.iterate(dispatchId);
    if (list) yield* withListed(rows, list, (id) => this.unwritten(dispatchId, list, id), nodeRecord);
    else for (const row of rows) yield nodeRecord(row);
  }

  getNode(dispatchId: string, nodeId: number): NodeRecord | undefined {
    const row = this.st.getNode.get(dispatchId, nodeId);
    if (row) return nodeRecord(row);
    const list = this.lists.get(dispatchId);
    return list?.has(nodeId) ? this.unwritten(dispatchId, list, nodeId) : undefined;
  }

  /** A node without a row: its latest block entry, else as created. */
  private unwritten(dispatchId: string, list: NodeList, nodeId: number): NodeRecord {
    const entry = blockIndexOf(list, dispatchId, this.st, this.blocks).entry(nodeId);
    return entry
      ? entry.block.record(dispatchId, entry.at, list.kind(nodeId), list.name(nodeId))
      : list.record(dispatchId, nodeId);
  }

  /** A node's output bytes, from the row or from its file; undefined when it has none. */
  getNodeOutput(dispatchId: string, nodeId: number): Uint8Array | undefined {
    const row = this.st.getOutput.get(dispatchId, nodeId);
    if (!row) {
      const list = this.lists.get(dispatchId);
      const entry = list?.has(nodeId) ? blockIndexOf(list, dispatchId, this.st, this.blocks).entry(nodeId) : undefined;
      return entry?.block.output(entry.at);
    }
    if (row.output) return row.output;
    return row.output_file ? readOutputFile(this.dataDir, row.output_file) : undefined;
  }

  /** The transport graph as JSON text. `parseGraph` is cheaper when it is to be parsed anyway. */
  getGraph(id: string): string {
    const row = this.required(this.st.getGraph.get(id), id);
    return row.graph_in_request ? JSON.stringify(this.parseGraph(id)) : row.graph;
  }

  /** The transport graph, parsed. */
  parseGraph(id: string): unknown {
    const row = this.required(this.st.getGraph.get(id), id);
    const parsed = JSON.parse(row.graph) as unknown;
    return row.graph_in_request ? (parsed as { graph: unknown }).graph : parsed;
  }

  getLattice(id: string): string {
    return this.required(this.st.getLattice.get(id), id).lattice;
  }

  getInputs(id: string): Uint8Array {
    return this.required(this.st.getInputs.get(id), id).inputs;
  }

  /** The lattice's serialized result; undefined until the dispatch has one. Throws for an unknown id. */
  getResult(id: string): Uint8Array | undefined {
    return this.required(this.st.getResult.get(id), id).result ?? undefined;
  }

  /** Log lines in the order they were stored, for a dispatch or one of its nodes. */
  getLogs(dispatchId: string, nodeId?: number): StoredLogLine[] {
    const rows = nodeId === undefined ? this.st.logs.all(dispatchId) : this.st.nodeLogs.all(dispatchId, nodeId);
    return rows.map(logLine);
  }

  /** The events after `afterSeq`, in order (all of them for 0). */
  eventsSince(dispatchId: string, afterSeq: number): DispatchEvent[] {
    const events = this.st.eventsSince
      .all(dispatchId, afterSeq)
      .map((r): DispatchEvent => ({ dispatchId, seq: r.seq, body: JSON.parse(r.body) as unknown }));
    for (const block of this.st.eventBlocksSince.iterate(dispatchId, afterSeq)) {
      const bodies = JSON.parse(block.bodies) as unknown[];
      for (let i = Math.max(0, afterSeq + 1 - block.first_seq); i < bodies.length; i++) {
        events.push({ dispatchId, seq: block.first_seq + i, body: bodies[i] });
      }
    }
    return events;
  }

  /**
   * Node states of a dispatch as positional rows, by node id: [node_id, status, attempts, started_at,
   * ended_at, error, output_preview, reused, worker, queued_ms] (JSON text for error, preview and
   * worker; NULL when absent).
   */
  nodeStateRows(dispatchId: string): IterableIterator<unknown[]> {
    const list = this.lists.get(dispatchId);
    const rows = chunks(this.st.nodeStates, dispatchId);
    if (!list) return rows;
    const blocks = blockIndexOf(list, dispatchId, this.st, this.blocks);
    return withListed(
      rows,
      list,
      (id) => {
        const entry = blocks.entry(id);
        return entry ? entry.block.stateRow(entry.at) : list.stateRow(id);
      },
      (row) => row,
    );
  }

  /** [node_id, output_preview JSON] of every node with a stored preview. */
  *outputPreviewRows(dispatchId: string): Generator<unknown[], undefined> {
    // Block entries first, all read before any row (a row is newer than a block entry of its node).
    const list = this.lists.get(dispatchId);
    const inBlocks: Array<string | null> = list ? new Array<string | null>(list.size).fill(null) : [];
    let blocked = 0;
    for (const row of list ? this.st.nodeBlockTexts.iterate(dispatchId) : []) {
      const block = new NodeBlock(row);
      for (let at = 0; at < block.ids.length; at++) inBlocks[block.ids[at]!] = block.preview(at);
      blocked++;
    }
    const rows = this.st.outputPreviews.iterate(dispatchId) as IterableIterator<unknown[]>;
    if (!blocked) return yield* rows;
    let next = 0;
    for (const row of rows) {
      const id = row[0] as number;
      for (; next < id; next++) if (inBlocks[next] != null) yield [next, inBlocks[next]];
      yield row;
      next = id + 1;
    }
    for (; next < inBlocks.length; next++) if (inBlocks[next] != null) yield [next, inBlocks[next]];
  }

  /** The sequence number of the dispatch's last stored event; 0 when it has none. */
  lastSeq(dispatchId: string): number {
    return this.st.lastSeq.get(dispatchId, dispatchId)!.seq;
  }

  close(): void {
    this.db.close();
  }

  private required<Row>(row: Row | undefined, id: string): Row {
    if (row === undefined) throw new Error(`store: no dispatch ${id}`);
    return row;
  }
}

/**
 * Stored rows (by node id; the first column or `node_id` is the id) merged with the listed nodes that
 * have no row yet, in node id order.
 */
function* withListed<Row extends { node_id: number } | unknown[], Out>(
  rows: IterableIterator<Row>,
  list: NodeList,
  listed: (id: number) => Out,
  stored: (row: Row) => Out,
): Generator<Out, undefined, undefined> {
  let next = 0;
  for (const row of rows) {
    const id = Array.isArray(row) ? (row[0] as number) : (row as { node_id: number }).node_id;
    for (; next < id && next < list.size; next++) if (list.has(next)) yield listed(next);
    yield stored(row);
    next = Math.max(next, id + 1);
  }
  for (; next < list.size; next++) if (list.has(next)) yield listed(next);
}

/** A statement's positional rows by node id (the first column), read `size` at a time. */
function* chunks(statement: Prepared<unknown[]>, dispatchId: string, size = 2048): Generator<unknown[], undefined> {
  for (let from = 0; ;) {
    const rows = statement.all(dispatchId, from, size);
    yield* rows;
    if (rows.length < size) return;
    from = (rows[rows.length - 1]![0] as number) + 1;
  }
}
