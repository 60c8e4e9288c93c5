// Node states as clients see them (NodeState), made from stored rows: one object per node straight
// from positional rows, with no record object in between (a snapshot of 100,000 nodes makes 100,000
// objects, not 200,000).
import { STATUSES, type NodeState, type Status, type ValuePreview, type WorkerInfo } from "@valence/schema";
import type { TaskError } from "../executors/executor";
import type { NodeRecord } from "./store/records";

export function nodeState(record: NodeRecord): NodeState {
  return {
    id: record.nodeId,
    status: record.status,
    attempts: record.attempts,
    ...(record.startedAt !== undefined ? { startedAt: record.startedAt } : {}),
    ...(record.endedAt !== undefined ? { endedAt: record.endedAt } : {}),
    ...(record.error ? { error: record.error } : {}),
    ...(record.outputPreview ? { output: record.outputPreview } : {}),
    ...(record.reused ? { reused: true } : {}),
    ...(record.worker ? { worker: record.worker } : {}),
    ...(record.queuedMs !== undefined ? { queuedMs: record.queuedMs } : {}),
  };
}

/**
 * From `Store.nodeStateRows`: [node_id, status, attempts, started_at, ended_at, error, output_preview, reused,
 * worker, queued_ms].
 */
export function storedNodeStates(rows: Iterable<unknown[]>): NodeState[] {
  const states: NodeState[] = [];
  const previews = new Previews();
  for (const row of rows) states.push(storedNodeState(row, previews));
  return states;
}

/** One row of `Store.nodeStateRows` (see storedNodeStates); `previews` shares equal previews between rows. */
export function storedNodeState(row: unknown[], previews?: { parse(text: string): ValuePreview }): NodeState {
  const status = STATUS.get(row[1] as string) ?? (row[1] as Status);
  const state: NodeState = { id: row[0] as number, status, attempts: row[2] as number };
  if (row[3] !== null) state.startedAt = row[3] as number;
  if (row[4] !== null) state.endedAt = row[4] as number;
  if (row[5] !== null) state.error = JSON.parse(row[5] as string) as TaskError;
  if (row[6] !== null) {
    state.output = previews ? previews.parse(row[6] as string) : (JSON.parse(row[6] as string) as ValuePreview);
  }
  if (row[7] === 1) state.reused = true;
  if (row[8] !== null) state.worker = JSON.parse(row[8] as string) as WorkerInfo;
  if (row[9] !== null) state.queuedMs = row[9] as number;
  return state;
}

/** From `Store.outputPreviewRows`: [node id, preview], parsed one at a time. */
export function* previewsById(rows: Iterable<unknown[]>): Generator<readonly [number, ValuePreview]> {
  const previews = new Previews();
  for (const row of rows) yield [row[0] as number, previews.parse(row[1] as string)];
}

// Each row's status string becomes the one shared constant of its value.
const STATUS = new Map<string, Status>(STATUSES.map((s) => [s, s]));

/**
 * Equal previews parsed once and shared (a fan-out's 50,000 `0`s are one object): a snapshot holds
 * a preview per completed node until it is sent. Previews are never changed after they are made.
 */
class Previews {
  private readonly seen = new Map<string, ValuePreview>();

  parse(text: string): ValuePreview {
    let preview = this.seen.get(text);
    if (!preview) {
      preview = JSON.parse(text) as ValuePreview;
      if (this.seen.size < 4096) this.seen.set(text, preview);
    }
    return preview;
  }
}
