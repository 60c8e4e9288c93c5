// The line above the graph: lattice name, task progress (done / running / failed / total), elapsed
// time, the dispatch status, and whether the view is live or shows the last known state.
import type { LiveState } from "./live";
import { formatDuration } from "./labels";
import { statusClass } from "./draw";
import type { DagNode, Status } from "./schema/dag.generated";

export interface ProgressFacts {
  latticeName: string;
  tasks: readonly DagNode[];
  /** Absent for a dry-run drawing (no dispatch). */
  dispatch?: { id: string; status: Status; startedAt?: number; endedAt?: number };
  live?: { state: LiveState; detail?: string };
}

const LIVE_WORDS: Record<LiveState, string> = {
  waiting: "not live yet",
  live: "live",
  reconnecting: "reconnecting…",
  final: "",
  offline: "last known state",
};

function span(className: string, text: string): HTMLSpanElement {
  const element = document.createElement("span");
  element.className = className;
  element.textContent = text;
  return element;
}

/** When the dispatch started and ended, from its summary or else from its nodes' timings. */
function timeSpan(facts: ProgressFacts): { start?: number; end?: number } {
  let start = facts.dispatch?.startedAt;
  let end = facts.dispatch?.endedAt;
  if (start === undefined) {
    for (const node of facts.tasks) {
      if (node.startedAt !== undefined && (start === undefined || node.startedAt < start)) start = node.startedAt;
    }
  }
  if (end === undefined && facts.dispatch && ["COMPLETED", "FAILED", "CANCELLED"].includes(facts.dispatch.status)) {
    for (const node of facts.tasks) {
      if (node.endedAt !== undefined && (end === undefined || node.endedAt > end)) end = node.endedAt;
    }
  }
  return { start, end };
}

export function renderProgress(line: HTMLElement, facts: ProgressFacts, now = Date.now()): void {
  const total = facts.tasks.length;
  const parts: HTMLElement[] = [span("valence-dag-name", facts.latticeName)];
  if (!facts.dispatch) {
    parts.push(span("valence-dag-counts", `${total} ${total === 1 ? "task" : "tasks"}`));
    line.replaceChildren(...parts);
    return;
  }
  let done = 0;
  let running = 0;
  let failed = 0;
  for (const { status } of facts.tasks) {
    if (status === "COMPLETED") done += 1;
    else if (status === "RUNNING") running += 1;
    else if (status === "FAILED") failed += 1;
  }
  const counts = span("valence-dag-counts", `${done}/${total} done · ${running} running · ${failed} failed`);
  counts.dataset.done = String(done);
  counts.dataset.total = String(total);
  parts.push(counts);
  const bar = document.createElement("progress");
  bar.className = "valence-dag-progress";
  bar.max = Math.max(total, 1);
  bar.value = done;
  parts.push(bar);
  const { start, end } = timeSpan(facts);
  if (start !== undefined) parts.push(span("valence-dag-elapsed", formatDuration((end ?? now) - start)));
  parts.push(span(`valence-dag-status ${statusClass(facts.dispatch.status)}`, facts.dispatch.status));
  const live = facts.live;
  if (live && LIVE_WORDS[live.state]) {
    const badge = span(`valence-live valence-live-${live.state}`, LIVE_WORDS[live.state]);
    if (live.detail) badge.title = live.detail;
    parts.push(badge);
  }
  line.replaceChildren(...parts);
}
