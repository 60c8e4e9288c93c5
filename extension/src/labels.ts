// What each node shows: a short label (the rules the kernel's drawing shares, schema/src/display.ts)
// and a tooltip, by node kind (see NodeKind in the schema).
import type { DagNode } from "./schema/dag.generated";
import { fullLabel, nodeLabel } from "./schema/display";
import type { GroupCounts } from "./shape";

export { nodeLabel };

/** "1.24 s", "320 ms", "2 min 5 s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** Time queued in plain ms up to a minute ("1250 ms": queueing is read against ms latencies). */
export function formatQueued(ms: number): string {
  return ms < 60_000 ? `${Math.round(ms)} ms` : formatDuration(ms);
}

/** "gpu-box (pid 4242)": the worker that ran a node. */
export function workerLabel(worker: NonNullable<DagNode["worker"]>): string {
  return `${worker.host} (pid ${worker.pid})`;
}

/** Hover text: what the node is, its status and timings (a folded group: its members' progress). */
export function nodeTooltip(node: DagNode, counts?: GroupCounts): string {
  const status = node.status ?? "NEW_OBJECT";
  if (counts) {
    const { total, completed, running, failed, waiting } = counts;
    const held = waiting ? ` · ${waiting} waiting for a worker` : "";
    return `${node.name}\n${completed}/${total} completed · ${running} running · ${failed} failed${held}\nclick to expand`;
  }
  const lines = [fullLabel(node), `${node.kind} · ${status} · node ${node.id}`];
  if (node.startedAt !== undefined) {
    const ran = node.endedAt !== undefined ? formatDuration(node.endedAt - node.startedAt) : "running";
    lines.push(
      `${ran}${node.attempts && node.attempts > 1 ? ` · ${node.attempts} attempts` : ""}${node.reused ? " · reused" : ""}`,
    );
  }
  if (node.waiting !== undefined) lines.push(`waiting: ${node.waiting}`);
  if (node.worker) {
    const queued = node.queuedMs !== undefined ? ` · queued ${formatQueued(node.queuedMs)}` : "";
    lines.push(`ran on ${workerLabel(node.worker)}${queued}`);
  } else if (node.queuedMs !== undefined) lines.push(`queued ${formatQueued(node.queuedMs)}`);
  if (node.error) lines.push(`${node.error.name}: ${node.error.message}`);
  return lines.join("\n");
}
