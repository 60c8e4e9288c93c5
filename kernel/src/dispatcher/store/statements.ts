// The SQL the store runs, in one place: every statement prepared once at open, typed by the row it
// returns. Column lists and row conversions are in rows.ts.
import type { Database as DB, Statement } from "better-sqlite3";
import { DISPATCH_COLUMNS, NODE_COLUMNS, type BlockRow, type DispatchRow, type LogRow, type NodeRow } from "./rows";

export type Statements = ReturnType<typeof prepareStatements>;
/** A prepared statement taking positional parameters and returning `Row`s. */
// A named interface, not an alias: declaration emit cannot name better-sqlite3's own Statement type.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface Prepared<Row = unknown> extends Statement<unknown[], Row> {}

const UNFINISHED = "status IN ('NEW_OBJECT', 'PENDING', 'RUNNING')";

/** Every statement the store runs, prepared once when it opens. */
export function prepareStatements(db: DB) {
  const s = <Row = unknown>(sql: string): Prepared<Row> => db.prepare<unknown[], Row>(sql);
  return {
    insertDispatch: s(
      `INSERT INTO dispatches (id, lattice_name, status, created_at, parent_id, parent_node, volume, trigger_id)
       VALUES (?, ?, 'NEW_OBJECT', ?, ?, ?, ?, ?)`,
    ),
    insertSpec: s(
      `INSERT INTO dispatch_specs (id, graph, lattice, inputs, nodes, graph_in_request) VALUES (?, ?, ?, ?, ?, ?)`,
    ),
    // A node's first write (node-list.ts): its whole row; DO NOTHING when the row exists after all.
    insertNode: s(
      `INSERT INTO nodes (dispatch_id, node_id, kind, name, status, attempts, started_at, ended_at, error, output,
       output_file, output_preview, reused, cache_key, content_key, worker, queued_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    ),
    patchDispatch: s(
      `UPDATE dispatches SET status = coalesce(?, status), started_at = coalesce(?, started_at),
       ended_at = coalesce(?, ended_at), error = coalesce(?, error), result = coalesce(?, result) WHERE id = ?`,
    ),
    patchNode: s(
      `UPDATE nodes SET status = coalesce(?, status), attempts = coalesce(?, attempts),
       started_at = coalesce(?, started_at), ended_at = coalesce(?, ended_at), error = ?,
       output = CASE WHEN ? THEN ? ELSE output END, output_file = CASE WHEN ? THEN ? ELSE output_file END,
       output_preview = coalesce(?, output_preview), reused = coalesce(?, reused), cache_key = coalesce(?, cache_key),
       content_key = coalesce(?, content_key), worker = ?, queued_ms = ?
       WHERE dispatch_id = ? AND node_id = ?`,
    ),
    // Completed nodes a commit at a time (node-blocks.ts).
    insertNodeBlock: s(
      `INSERT INTO node_blocks (dispatch_id, node_ids, numbers, outputs, texts) VALUES (?, ?, ?, ?, ?)`,
    ),
    nodeBlockIds: s<{ id: number; node_ids: Buffer }>(
      `SELECT id, node_ids FROM node_blocks WHERE dispatch_id = ? ORDER BY id`,
    ),
    getNodeBlock: s<BlockRow>(`SELECT node_ids, numbers, outputs, texts FROM node_blocks WHERE id = ?`),
    // Without the outputs: for previews and content keys.
    nodeBlockTexts: s<BlockRow>(
      `SELECT node_ids, numbers, x'' AS outputs, texts FROM node_blocks WHERE dispatch_id = ? ORDER BY id`,
    ),
    // A node's row goes when its block entry is written: the entry is newer.
    deleteNode: s(`DELETE FROM nodes WHERE dispatch_id = ? AND node_id = ?`),
    insertEventBlock: s(`INSERT INTO event_blocks (dispatch_id, first_seq, last_seq, bodies) VALUES (?, ?, ?, ?)`),
    insertLog: s(`INSERT INTO logs (dispatch_id, node_id, attempt, stream, text, at) VALUES (?, ?, ?, ?, ?, ?)`),
    getDispatch: s<DispatchRow>(`SELECT ${DISPATCH_COLUMNS} FROM dispatches WHERE id = ?`),
    // A dispatch's nodes, events, logs, blocks and spec go with it (ON DELETE CASCADE).
    deleteDispatch: s(`DELETE FROM dispatches WHERE id = ?`),
    childIds: s<{ id: string }>(`SELECT id FROM dispatches WHERE parent_id = ?`),
    finishedTopLevel: s<{ id: string }>(
      `SELECT id FROM dispatches WHERE parent_id IS NULL AND NOT ${UNFINISHED} ORDER BY created_at`,
    ),
    unfinishedTopLevel: s<{ n: number }>(
      `SELECT count(*) AS n FROM dispatches WHERE parent_id IS NULL AND ${UNFINISHED}`,
    ),
    volumeUsers: s<{ n: number }>(`SELECT count(*) AS n FROM dispatches WHERE volume = ?`),
    unfinished: s<DispatchRow>(`SELECT ${DISPATCH_COLUMNS} FROM dispatches WHERE ${UNFINISHED} ORDER BY created_at`),
    getNodes: s<NodeRow>(`SELECT ${NODE_COLUMNS} FROM nodes WHERE dispatch_id = ? ORDER BY node_id`),
    // Positional rows for snapshots of big dispatches: no record object per node on the way. Read a
    // chunk at a time (node ids from ?, at most ? rows): one call per chunk costs less than one per row.
    nodeStates: s<unknown[]>(
      `SELECT node_id, status, attempts, started_at, ended_at, error, output_preview, reused, worker, queued_ms
       FROM nodes WHERE dispatch_id = ? AND node_id >= ? ORDER BY node_id LIMIT ?`,
    ).raw(true),
    outputPreviews: s<unknown[]>(
      `SELECT node_id, output_preview FROM nodes WHERE dispatch_id = ? AND output_preview IS NOT NULL ORDER BY node_id`,
    ).raw(true),
    getNode: s<NodeRow>(`SELECT ${NODE_COLUMNS} FROM nodes WHERE dispatch_id = ? AND node_id = ?`),
    getOutput: s<{ output: Buffer | null; output_file: string | null }>(
      `SELECT output, output_file FROM nodes WHERE dispatch_id = ? AND node_id = ?`,
    ),
    dispatchExists: s<{ ok: 1 }>(`SELECT 1 AS ok FROM dispatches WHERE id = ?`),
    getGraph: s<{ graph: string; graph_in_request: number }>(
      `SELECT graph, graph_in_request FROM dispatch_specs WHERE id = ?`,
    ),
    getNodeList: s<{ nodes: string | null }>(`SELECT nodes FROM dispatch_specs WHERE id = ?`),
    storedNodeIds: s<number>(`SELECT node_id FROM nodes WHERE dispatch_id = ?`).pluck(true),
    getLattice: s<{ lattice: string }>(`SELECT lattice FROM dispatch_specs WHERE id = ?`),
    getInputs: s<{ inputs: Buffer }>(`SELECT inputs FROM dispatch_specs WHERE id = ?`),
    getResult: s<{ result: Buffer | null }>(`SELECT result FROM dispatches WHERE id = ?`),
    // Events written before migration 4 are single rows; later ones are blocks (see 004-event-blocks.ts).
    eventsSince: s<{ seq: number; body: string }>(
      `SELECT seq, body FROM events WHERE dispatch_id = ? AND seq > ? ORDER BY seq`,
    ),
    eventBlocksSince: s<{ first_seq: number; bodies: string }>(
      `SELECT first_seq, bodies FROM event_blocks WHERE dispatch_id = ? AND last_seq > ? ORDER BY last_seq`,
    ),
    // Takes the dispatch id twice.
    lastSeq: s<{ seq: number }>(
      `SELECT max(coalesce((SELECT max(last_seq) FROM event_blocks WHERE dispatch_id = ?), 0),
                  coalesce((SELECT max(seq) FROM events WHERE dispatch_id = ?), 0)) AS seq`,
    ),
    logs: s<LogRow>(`SELECT node_id, attempt, stream, text, at FROM logs WHERE dispatch_id = ? ORDER BY rowid`),
    nodeLogs: s<LogRow>(
      `SELECT node_id, attempt, stream, text, at FROM logs WHERE dispatch_id = ? AND node_id = ? ORDER BY rowid`,
    ),
    byKey: s<{ dispatch_id: string; node_id: number }>(
      `SELECT dispatch_id, node_id FROM nodes WHERE cache_key = ? AND status = 'COMPLETED' LIMIT 1`,
    ),
    byKeyIn: s<{ dispatch_id: string; node_id: number }>(
      `SELECT dispatch_id, node_id FROM nodes WHERE (cache_key = ? OR content_key = ?) AND dispatch_id = ?
       AND status = 'COMPLETED' LIMIT 1`,
    ),
    contentKeys: s<{ key: string; node_id: number }>(
      `SELECT coalesce(content_key, cache_key) AS key, node_id FROM nodes
       WHERE dispatch_id = ? AND status = 'COMPLETED' AND coalesce(content_key, cache_key) IS NOT NULL`,
    ),
    // listDispatches, one per combination of filters (bit 0: status, bit 1: parent, bit 2: lattice name).
    list: Array.from({ length: 8 }, (_, bits) => {
      const where = ["status = ?", "parent_id = ?", "lattice_name = ?"].filter((_, i) => bits & (1 << i));
      return s<DispatchRow>(
        `SELECT ${DISPATCH_COLUMNS} FROM dispatches ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
         ORDER BY created_at DESC, rowid DESC LIMIT ?`,
      );
    }),
  };
}
