// The dispatcher's durable state in SQLite (WAL): dispatches with their graph, lattice and inputs;
// node states and outputs (large ones in files beside the database); events for websocket resume;
// task logs. Writes arrive as batches and commit in one transaction each; statements are prepared once.
import Database, { type Database as DB } from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Status } from "@valence/schema";
import { migrate } from "./migrations";
import { readOutputFile, writeOutputFile } from "./output-files";
import type {
  DispatchEvent,
  DispatchPatch,
  DispatchRecord,
  NewDispatch,
  NodePatch,
  NodeRecord,
  WriteBatch,
} from "./records";
import { dispatchRecord, logLine, nodeRecord, type StoredLogLine } from "./rows";
import { prepareStatements, type Statements } from "./statements";

export type { StoredLogLine } from "./rows";

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
}

export class Store {
  private readonly st: Statements;
  private readonly applyBatch: (batch: WriteBatch) => void;

  private constructor(
    private readonly db: DB,
    /** The directory holding `valence.db` and `outputs/`. */
    readonly dataDir: string,
    private readonly largeOutputBytes: number,
  ) {
    this.st = prepareStatements(db);
    this.applyBatch = db.transaction((batch: WriteBatch) => this.write(batch));
  }

  /** Opens (creating if needed) `dataDir/valence.db` and `dataDir/outputs/`, migrating an older file. */
  static open(dataDir: string, options: StoreOptions = {}): Store {
    mkdirSync(join(dataDir, "outputs"), { recursive: true, mode: 0o700 });
    const db = new Database(join(dataDir, "valence.db"));
    try {
      db.pragma("busy_timeout = 5000");
      db.pragma("journal_mode = WAL");
      // A commit survives a killed process; only a power loss can take the last few (fsync at checkpoints).
      db.pragma("synchronous = NORMAL");
      // Checkpoint every ~40 MB of WAL instead of SQLite's 4 MB: a node row updated many times is copied
      // to the database once, and fsyncs are rarer (about 15% less time per task in the store bench).
      db.pragma("wal_autocheckpoint = 10000");
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
    this.applyBatch(batch);
  }

  private write(batch: WriteBatch): void {
    for (const d of batch.newDispatches ?? []) this.insertDispatch(d);
    for (const p of batch.dispatches ?? []) this.patchDispatch(p);
    for (const p of batch.nodes ?? []) this.patchNode(p);
    if (batch.events?.length) this.insertEvents(batch.events);
    for (const l of batch.logs ?? []) {
      for (const line of l.lines) {
        this.st.insertLog.run(l.dispatchId, l.nodeId, l.attempt, line.stream, line.text, line.at);
      }
    }
  }

  private insertDispatch(d: NewDispatch): void {
    const { id, parentId = null, parentNode = null, volume = null } = d;
    this.st.insertDispatch.run(
      id,
      d.latticeName,
      d.createdAt,
      parentId,
      parentNode,
      d.graph,
      d.lattice,
      d.inputs,
      volume,
    );
    for (const n of d.nodes) this.st.insertNode.run(id, n.nodeId, n.kind, n.name, n.status ?? "NEW_OBJECT");
  }

  private patchDispatch(p: DispatchPatch): void {
    const error = p.error ? JSON.stringify(p.error) : null;
    const fields = [p.status ?? null, p.startedAt ?? null, p.endedAt ?? null, error, p.result ?? null];
    if (this.st.patchDispatch.run(...fields, p.id).changes !== 1) {
      throw new Error(`store: no dispatch ${p.id} to update`);
    }
  }

  /**
   * A node patch carries the node's whole state: an absent `error` clears a stored one (a retry that
   * succeeded); other absent fields keep their stored values. A new output replaces the old one.
   */
  private patchNode(p: NodePatch): void {
    const output = p.output;
    const large = output !== undefined && output.byteLength > this.largeOutputBytes;
    if (large && !this.st.getNode.get(p.dispatchId, p.nodeId)) throw noNode(p);
    const file = large ? writeOutputFile(this.dataDir, p.dispatchId, p.nodeId, output) : null;
    const hasOutput = output === undefined ? 0 : 1;
    const changes = this.st.patchNode.run(
      p.status ?? null,
      p.attempts ?? null,
      p.startedAt ?? null,
      p.endedAt ?? null,
      p.error ? JSON.stringify(p.error) : null,
      hasOutput,
      large ? null : (output ?? null),
      hasOutput,
      file,
      p.outputPreview ? JSON.stringify(p.outputPreview) : null,
      p.reused === undefined ? null : Number(p.reused),
      p.cacheKey ?? null,
      p.dispatchId,
      p.nodeId,
    ).changes;
    if (changes !== 1) throw noNode(p);
  }

  private insertEvents(events: readonly DispatchEvent[]): void {
    const next = new Map<string, number>();
    for (const e of events) {
      const expected = next.get(e.dispatchId) ?? this.lastSeq(e.dispatchId) + 1;
      if (e.seq !== expected) {
        throw new Error(`store: event ${e.seq} of dispatch ${e.dispatchId} is out of sequence (expected ${expected})`);
      }
      if (expected === 1 && !this.st.dispatchExists.get(e.dispatchId)) {
        throw new Error(`store: no dispatch ${e.dispatchId} for event ${e.seq}`);
      }
      next.set(e.dispatchId, expected + 1);
      this.st.insertEvent.run(e.dispatchId, e.seq, JSON.stringify(e.body));
    }
  }

  /** The stored output of a completed node with this content key, in `dispatchId` or in any dispatch. */
  findOutputByKey(cacheKey: string, dispatchId?: string): Uint8Array | undefined {
    const row = dispatchId === undefined ? this.st.byKey.get(cacheKey) : this.st.byKeyIn.get(cacheKey, dispatchId);
    return row && this.getNodeOutput(row.dispatch_id, row.node_id);
  }

  getDispatch(id: string): DispatchRecord | undefined {
    const row = this.st.getDispatch.get(id);
    return row && dispatchRecord(row);
  }

  /** Dispatches newest first (by `createdAt`, then by insertion). */
  listDispatches(options: ListDispatchesOptions = {}): DispatchRecord[] {
    const { status, parentId, limit = 50 } = options;
    const filters = [status, parentId].filter((value) => value !== undefined);
    const statement = this.st.list[(status !== undefined ? 1 : 0) + (parentId !== undefined ? 2 : 0)]!;
    return statement.all(...filters, limit).map(dispatchRecord);
  }

  /** Dispatches still NEW_OBJECT, PENDING or RUNNING — the ones to resume after a restart — oldest first. */
  unfinishedDispatches(): DispatchRecord[] {
    return this.st.unfinished.all().map(dispatchRecord);
  }

  /** Every node of a dispatch, by node id. For very large dispatches prefer `iterateNodes`. */
  getNodes(dispatchId: string): NodeRecord[] {
    return this.st.getNodes.all(dispatchId).map(nodeRecord);
  }

  /** The nodes of a dispatch by node id, one row at a time (constant memory whatever the size). */
  *iterateNodes(dispatchId: string): IterableIterator<NodeRecord> {
    for (const row of this.st.getNodes.iterate(dispatchId)) yield nodeRecord(row);
  }

  getNode(dispatchId: string, nodeId: number): NodeRecord | undefined {
    const row = this.st.getNode.get(dispatchId, nodeId);
    return row && nodeRecord(row);
  }

  /** A node's output bytes, from the row or from its file; undefined when it has none. */
  getNodeOutput(dispatchId: string, nodeId: number): Uint8Array | undefined {
    const row = this.st.getOutput.get(dispatchId, nodeId);
    if (!row) return undefined;
    if (row.output) return row.output;
    return row.output_file ? readOutputFile(this.dataDir, row.output_file) : undefined;
  }

  getGraph(id: string): string {
    return this.required(this.st.getGraph.get(id), id).graph;
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
    return this.st.eventsSince
      .all(dispatchId, afterSeq)
      .map((r) => ({ dispatchId, seq: r.seq, body: JSON.parse(r.body) as unknown }));
  }

  /** The sequence number of the dispatch's last stored event; 0 when it has none. */
  lastSeq(dispatchId: string): number {
    return this.st.lastSeq.get(dispatchId)!.seq;
  }

  close(): void {
    this.db.close();
  }

  private required<Row>(row: Row | undefined, id: string): Row {
    if (row === undefined) throw new Error(`store: no dispatch ${id}`);
    return row;
  }
}

const noNode = (p: NodePatch): Error => new Error(`store: no node ${p.nodeId} in dispatch ${p.dispatchId} to update`);
