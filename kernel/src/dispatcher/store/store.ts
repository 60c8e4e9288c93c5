// The dispatcher's durable state in SQLite (WAL): dispatches with their graph, lattice and inputs;
// node states and outputs (large ones in files beside the database); events for websocket resume;
// task logs. Writes arrive as batches and commit in one transaction each.
import Database, { type Database as DB, type Statement } from "better-sqlite3";
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import type { NodeKind, Status } from "@valence/schema";
import type { LogLine, TaskError } from "../../executors/executor";
import { migrate } from "./migrations";
import type { DispatchEvent, DispatchPatch, DispatchRecord, NodePatch, NodeRecord, WriteBatch } from "./records";

export interface StoreOptions {
  /** Outputs larger than this many bytes go to a file instead of the database. Default 1 MiB. */
  readonly largeOutputBytes?: number;
}

interface DispatchRow {
  id: string;
  lattice_name: string;
  status: Status;
  created_at: number;
  started_at: number | null;
  ended_at: number | null;
  error: string | null;
  parent_id: string | null;
  parent_node: number | null;
  volume: string | null;
}

interface NodeRow {
  dispatch_id: string;
  node_id: number;
  kind: NodeKind;
  name: string;
  status: Status;
  attempts: number;
  started_at: number | null;
  ended_at: number | null;
  error: string | null;
  has_output: number;
  output_preview: string | null;
  reused: number;
}

const DISPATCH_COLUMNS =
  "id, lattice_name, status, created_at, started_at, ended_at, error, parent_id, parent_node, volume";
const NODE_COLUMNS =
  "dispatch_id, node_id, kind, name, status, attempts, started_at, ended_at, error, " +
  "(output IS NOT NULL OR output_file IS NOT NULL) AS has_output, output_preview, reused";

export class Store {
  private readonly statements: Record<string, Statement>;
  private readonly applyBatch: (batch: WriteBatch) => void;

  private constructor(
    private readonly db: DB,
    readonly dataDir: string,
    private readonly largeOutputBytes: number,
  ) {
    const s = (sql: string): Statement => db.prepare(sql);
    this.statements = {
      insertDispatch: s(
        `INSERT INTO dispatches (id, lattice_name, status, created_at, parent_id, parent_node, graph, lattice, inputs, volume)
         VALUES (?, ?, 'NEW_OBJECT', ?, ?, ?, ?, ?, ?, ?)`,
      ),
      insertNode: s(`INSERT INTO nodes (dispatch_id, node_id, kind, name, status) VALUES (?, ?, ?, ?, ?)`),
      patchDispatch: s(
        `UPDATE dispatches SET status = coalesce(?, status), started_at = coalesce(?, started_at),
         ended_at = coalesce(?, ended_at), error = coalesce(?, error), result = coalesce(?, result) WHERE id = ?`,
      ),
      patchNode: s(
        `UPDATE nodes SET status = coalesce(?, status), attempts = coalesce(?, attempts), started_at = coalesce(?, started_at),
         ended_at = coalesce(?, ended_at), error = ?, output = coalesce(?, output), output_file = coalesce(?, output_file),
         output_preview = coalesce(?, output_preview), reused = coalesce(?, reused), cache_key = coalesce(?, cache_key)
         WHERE dispatch_id = ? AND node_id = ?`,
      ),
      insertEvent: s(`INSERT INTO events (dispatch_id, seq, body) VALUES (?, ?, ?)`),
      insertLog: s(`INSERT INTO logs (dispatch_id, node_id, attempt, stream, text, at) VALUES (?, ?, ?, ?, ?, ?)`),
      getDispatch: s(`SELECT ${DISPATCH_COLUMNS} FROM dispatches WHERE id = ?`),
      getNodes: s(`SELECT ${NODE_COLUMNS} FROM nodes WHERE dispatch_id = ? ORDER BY node_id`),
      getNode: s(`SELECT ${NODE_COLUMNS} FROM nodes WHERE dispatch_id = ? AND node_id = ?`),
      getOutput: s(`SELECT output, output_file FROM nodes WHERE dispatch_id = ? AND node_id = ?`),
      getColumn: s(`SELECT graph, lattice, inputs, result FROM dispatches WHERE id = ?`),
      eventsSince: s(`SELECT dispatch_id, seq, body FROM events WHERE dispatch_id = ? AND seq > ? ORDER BY seq`),
      lastSeq: s(`SELECT coalesce(max(seq), 0) AS seq FROM events WHERE dispatch_id = ?`),
      unfinished: s(
        `SELECT ${DISPATCH_COLUMNS} FROM dispatches WHERE status IN ('NEW_OBJECT', 'PENDING', 'RUNNING') ORDER BY created_at`,
      ),
      logs: s(`SELECT node_id, attempt, stream, text, at FROM logs WHERE dispatch_id = ? ORDER BY rowid`),
      byKey: s(`SELECT dispatch_id, node_id FROM nodes WHERE cache_key = ? AND status = 'COMPLETED' LIMIT 1`),
      byKeyIn: s(
        `SELECT dispatch_id, node_id FROM nodes WHERE cache_key = ? AND dispatch_id = ? AND status = 'COMPLETED' LIMIT 1`,
      ),
      nodeLogs: s(
        `SELECT node_id, attempt, stream, text, at FROM logs WHERE dispatch_id = ? AND node_id = ? ORDER BY rowid`,
      ),
    };
    this.applyBatch = db.transaction((batch: WriteBatch) => this.write(batch));
  }

  static open(dataDir: string, options: StoreOptions = {}): Store {
    mkdirSync(join(dataDir, "outputs"), { recursive: true, mode: 0o700 });
    const db = new Database(join(dataDir, "valence.db"));
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("foreign_keys = ON");
    db.pragma("busy_timeout = 5000");
    migrate(db);
    return new Store(db, dataDir, options.largeOutputBytes ?? 1024 * 1024);
  }

  /** Writes a batch in one transaction: all of it, or — on any error — none of it. */
  apply(batch: WriteBatch): void {
    this.applyBatch(batch);
  }

  private write(batch: WriteBatch): void {
    const st = this.statements;
    for (const d of batch.newDispatches ?? []) {
      st.insertDispatch!.run(
        d.id,
        d.latticeName,
        d.createdAt,
        d.parentId ?? null,
        d.parentNode ?? null,
        d.graph,
        d.lattice,
        d.inputs,
        d.volume ?? null,
      );
      for (const n of d.nodes) st.insertNode!.run(d.id, n.nodeId, n.kind, n.name, n.status ?? "NEW_OBJECT");
    }
    for (const p of batch.dispatches ?? []) this.patchDispatch(p);
    for (const p of batch.nodes ?? []) this.patchNode(p);
    for (const e of batch.events ?? []) st.insertEvent!.run(e.dispatchId, e.seq, JSON.stringify(e.body));
    for (const l of batch.logs ?? []) {
      for (const line of l.lines) st.insertLog!.run(l.dispatchId, l.nodeId, l.attempt, line.stream, line.text, line.at);
    }
  }

  private patchDispatch(p: DispatchPatch): void {
    const changed = this.statements.patchDispatch!.run(
      p.status ?? null,
      p.startedAt ?? null,
      p.endedAt ?? null,
      p.error ? JSON.stringify(p.error) : null,
      p.result ?? null,
      p.id,
    ).changes;
    if (changed !== 1) throw new Error(`store: no dispatch ${p.id} to update`);
  }

  private patchNode(p: NodePatch): void {
    let inline: Uint8Array | null = null;
    let file: string | null = null;
    if (p.output) {
      if (p.output.byteLength > this.largeOutputBytes) file = this.writeOutputFile(p.dispatchId, p.nodeId, p.output);
      else inline = p.output;
    }
    const changed = this.statements.patchNode!.run(
      p.status ?? null,
      p.attempts ?? null,
      p.startedAt ?? null,
      p.endedAt ?? null,
      p.error ? JSON.stringify(p.error) : null,
      inline,
      file,
      p.outputPreview ? JSON.stringify(p.outputPreview) : null,
      p.reused === undefined ? null : Number(p.reused),
      p.cacheKey ?? null,
      p.dispatchId,
      p.nodeId,
    ).changes;
    if (changed !== 1) throw new Error(`store: no node ${p.nodeId} in dispatch ${p.dispatchId} to update`);
  }

  private writeOutputFile(dispatchId: string, nodeId: number, bytes: Uint8Array): string {
    const relative = join("outputs", dispatchId, `${nodeId}.bin`);
    const path = join(this.dataDir, relative);
    mkdirSync(dirname(path), { recursive: true });
    // Durable before the row that points to it commits.
    const fd = openSync(path, "w", 0o600);
    try {
      writeSync(fd, bytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    return relative;
  }

  /** The stored output of a completed node with this content key, in `dispatchId` or in any dispatch. */
  findOutputByKey(cacheKey: string, dispatchId?: string): Uint8Array | undefined {
    const row = (
      dispatchId === undefined
        ? this.statements.byKey!.get(cacheKey)
        : this.statements.byKeyIn!.get(cacheKey, dispatchId)
    ) as { dispatch_id: string; node_id: number } | undefined;
    return row && this.getNodeOutput(row.dispatch_id, row.node_id);
  }

  getDispatch(id: string): DispatchRecord | undefined {
    const row = this.statements.getDispatch!.get(id) as DispatchRow | undefined;
    return row && dispatchRecord(row);
  }

  listDispatches(options: { limit?: number; status?: Status; parentId?: string } = {}): DispatchRecord[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (options.status) {
      where.push("status = ?");
      args.push(options.status);
    }
    if (options.parentId) {
      where.push("parent_id = ?");
      args.push(options.parentId);
    }
    const sql = `SELECT ${DISPATCH_COLUMNS} FROM dispatches ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
                 ORDER BY created_at DESC, rowid DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...args, options.limit ?? 50) as DispatchRow[]).map(dispatchRecord);
  }

  unfinishedDispatches(): DispatchRecord[] {
    return (this.statements.unfinished!.all() as DispatchRow[]).map(dispatchRecord);
  }

  getNodes(dispatchId: string): NodeRecord[] {
    return (this.statements.getNodes!.all(dispatchId) as NodeRow[]).map(nodeRecord);
  }

  getNode(dispatchId: string, nodeId: number): NodeRecord | undefined {
    const row = this.statements.getNode!.get(dispatchId, nodeId) as NodeRow | undefined;
    return row && nodeRecord(row);
  }

  getNodeOutput(dispatchId: string, nodeId: number): Uint8Array | undefined {
    const row = this.statements.getOutput!.get(dispatchId, nodeId) as
      { output: Buffer | null; output_file: string | null } | undefined;
    if (!row) return undefined;
    if (row.output) return row.output;
    return row.output_file ? readFileSync(join(this.dataDir, row.output_file)) : undefined;
  }

  private column(id: string): { graph: string; lattice: string; inputs: Buffer; result: Buffer | null } {
    const row = this.statements.getColumn!.get(id) as
      { graph: string; lattice: string; inputs: Buffer; result: Buffer | null } | undefined;
    if (!row) throw new Error(`store: no dispatch ${id}`);
    return row;
  }

  getGraph(id: string): string {
    return this.column(id).graph;
  }

  getLattice(id: string): string {
    return this.column(id).lattice;
  }

  getInputs(id: string): Uint8Array {
    return this.column(id).inputs;
  }

  getResult(id: string): Uint8Array | undefined {
    return this.column(id).result ?? undefined;
  }

  getLogs(dispatchId: string, nodeId?: number): Array<LogLine & { nodeId: number; attempt: number }> {
    const rows = (
      nodeId === undefined ? this.statements.logs!.all(dispatchId) : this.statements.nodeLogs!.all(dispatchId, nodeId)
    ) as Array<{
      node_id: number;
      attempt: number;
      stream: "stdout" | "stderr";
      text: string;
      at: number;
    }>;
    return rows.map((r) => ({ nodeId: r.node_id, attempt: r.attempt, stream: r.stream, text: r.text, at: r.at }));
  }

  eventsSince(dispatchId: string, afterSeq: number): DispatchEvent[] {
    const rows = this.statements.eventsSince!.all(dispatchId, afterSeq) as Array<{
      dispatch_id: string;
      seq: number;
      body: string;
    }>;
    return rows.map((r) => ({ dispatchId: r.dispatch_id, seq: r.seq, body: JSON.parse(r.body) as unknown }));
  }

  lastSeq(dispatchId: string): number {
    return (this.statements.lastSeq!.get(dispatchId) as { seq: number }).seq;
  }

  close(): void {
    this.db.close();
  }
}

const parseError = (text: string | null): TaskError | undefined => (text ? (JSON.parse(text) as TaskError) : undefined);

function dispatchRecord(row: DispatchRow): DispatchRecord {
  const error = parseError(row.error);
  return {
    id: row.id,
    latticeName: row.lattice_name,
    status: row.status,
    createdAt: row.created_at,
    ...(row.started_at !== null ? { startedAt: row.started_at } : {}),
    ...(row.ended_at !== null ? { endedAt: row.ended_at } : {}),
    ...(error ? { error } : {}),
    ...(row.parent_id !== null ? { parentId: row.parent_id, parentNode: row.parent_node! } : {}),
    ...(row.volume !== null ? { volume: row.volume } : {}),
  };
}

function nodeRecord(row: NodeRow): NodeRecord {
  const error = parseError(row.error);
  return {
    dispatchId: row.dispatch_id,
    nodeId: row.node_id,
    kind: row.kind,
    name: row.name,
    status: row.status,
    attempts: row.attempts,
    ...(row.started_at !== null ? { startedAt: row.started_at } : {}),
    ...(row.ended_at !== null ? { endedAt: row.ended_at } : {}),
    ...(error ? { error } : {}),
    ...(row.output_preview
      ? { outputPreview: JSON.parse(row.output_preview) as NodeRecord["outputPreview"] & object }
      : {}),
    hasOutput: row.has_output === 1,
    reused: row.reused === 1,
  };
}
