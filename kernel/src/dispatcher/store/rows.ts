// How the store's SQL rows map to the records the rest of the dispatcher sees: column lists for the
// SELECTs, and the conversions (NULL → absent field, JSON text → error or preview, 0/1 → boolean).
import type { NodeKind, Status, ValuePreview, WorkerInfo } from "@valence/schema";
import type { LogLine, TaskError } from "../../executors/executor";
import type { DispatchRecord, NodeRecord } from "./records";

export interface DispatchRow {
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
  trigger_id: string | null;
}

export interface NodeRow {
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
  worker: string | null;
  queued_ms: number | null;
}

export interface LogRow {
  node_id: number;
  attempt: number;
  stream: LogLine["stream"];
  text: string;
  at: number;
}

/** A stored log line with the node and attempt that printed it. */
export type StoredLogLine = LogLine & { readonly nodeId: number; readonly attempt: number };

export const DISPATCH_COLUMNS =
  "id, lattice_name, status, created_at, started_at, ended_at, error, parent_id, parent_node, volume, trigger_id";

export const NODE_COLUMNS =
  "dispatch_id, node_id, kind, name, status, attempts, started_at, ended_at, error, " +
  "(output IS NOT NULL OR output_file IS NOT NULL) AS has_output, output_preview, reused, worker, queued_ms";

const parseError = (text: string | null): TaskError | undefined => (text ? (JSON.parse(text) as TaskError) : undefined);

export function dispatchRecord(row: DispatchRow): DispatchRecord {
  const error = parseError(row.error);
  return {
    id: row.id,
    latticeName: row.lattice_name,
    status: row.status,
    createdAt: row.created_at,
    ...(row.started_at !== null ? { startedAt: row.started_at } : {}),
    ...(row.ended_at !== null ? { endedAt: row.ended_at } : {}),
    ...(error ? { error } : {}),
    ...(row.parent_id !== null ? { parentId: row.parent_id } : {}),
    ...(row.parent_node !== null ? { parentNode: row.parent_node } : {}),
    ...(row.volume !== null ? { volume: row.volume } : {}),
    ...(row.trigger_id !== null ? { triggerId: row.trigger_id } : {}),
  };
}

export function nodeRecord(row: NodeRow): NodeRecord {
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
    ...(row.output_preview !== null ? { outputPreview: JSON.parse(row.output_preview) as ValuePreview } : {}),
    hasOutput: row.has_output === 1,
    reused: row.reused === 1,
    ...(row.worker !== null ? { worker: JSON.parse(row.worker) as WorkerInfo } : {}),
    ...(row.queued_ms !== null ? { queuedMs: row.queued_ms } : {}),
  };
}

export function logLine(row: LogRow): StoredLogLine {
  return { nodeId: row.node_id, attempt: row.attempt, stream: row.stream, text: row.text, at: row.at };
}

/** What a commit writes of one node (StoreWriter): its whole state, or what changed. */
export interface NodeRowUpdate {
  status: Status;
  attempts: number;
  /** NaN when unset: keeps the stored value. */
  startedAt: number;
  endedAt: number;
  /** Absent clears a stored error. */
  error: TaskError | undefined;
  /** A new output replaces the stored one; undefined keeps it. */
  output: Uint8Array | undefined;
  /** The output's preview as JSON text, or undefined to keep the stored one. */
  outputPreview: string | undefined;
  reused: boolean | undefined;
  cacheKey: string | undefined;
  /** The electron has `cache: true`: its key is indexed for lookups from any dispatch. */
  sharedKey: boolean;
  /** The worker of the last attempt as JSON text ({host, pid, id}); like `error`, absent clears it. */
  worker: string | undefined;
  /** Like `error`, absent clears it. */
  queuedMs: number | undefined;
}

/** A stored block's columns, as `node_blocks` holds them. */
export interface BlockRow {
  readonly node_ids: Uint8Array;
  readonly numbers: Uint8Array;
  readonly outputs: Uint8Array;
  readonly texts: string;
}
