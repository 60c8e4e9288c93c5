// The node panel under the graph: what a clicked node took in, what it gave back (through the
// notebook's own text renderer when there is one), its error and stack, logs, attempts and timings,
// the worker that ran it and how long it queued, why it waits (if its executor holds it), with
// actions: cancel the node, cancel the dispatch, copy the node id.
import type { IRenderMimeRegistry } from "@jupyterlab/rendermime";

import { formatDuration, formatQueued, nodeLabel, workerLabel } from "./labels";
import type { DispatcherLink } from "./link";
import type { DagDocument, DagNode } from "./schema/dag.generated";
import type { DispatchSummary, NodeDetail } from "./schema/protocol.generated";
import { statusClass } from "./draw";

export interface PanelContext {
  readonly document: DagDocument;
  readonly nodes: ReadonlyMap<number, DagNode>;
  readonly link: DispatcherLink | undefined;
  readonly rendermime: IRenderMimeRegistry | undefined;
  /** True while the dispatch can still be cancelled. */
  readonly cancellable: boolean;
  /** Opens a dispatch's DAG in a main-area tab (a sublattice's child dispatch). */
  readonly openDispatch: ((dispatchId: string) => void) | undefined;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text?: string): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  element.className = className;
  if (text !== undefined) element.textContent = text;
  return element;
}

function section(title: string, ...content: HTMLElement[]): HTMLElement {
  const part = el("section", "valence-panel-section");
  part.append(el("h4", "valence-panel-heading", title), ...content);
  return part;
}

function button(label: string, onClick: () => Promise<void> | void): HTMLButtonElement {
  const b = el("button", "jp-Button jp-mod-minimal valence-panel-action", label);
  b.type = "button";
  b.addEventListener("click", () => {
    b.disabled = true;
    Promise.resolve(onClick())
      .catch((error: unknown) =>
        b.after(el("span", "valence-panel-problem", String((error as Error).message ?? error))),
      )
      .finally(() => (b.disabled = false));
  });
  return b;
}

const time = (ms: number): string => new Date(ms).toLocaleTimeString();

function inputs(node: DagNode, context: PanelContext): HTMLElement {
  const list = el("ul", "valence-panel-inputs");
  const incoming = context.document.edges.filter((edge) => edge.target === node.id);
  for (const edge of incoming) {
    const source = context.nodes.get(edge.source);
    if (!source) continue;
    const where = edge.kind === "wait" ? "after" : edge.key !== undefined ? edge.key : `arg ${edge.position ?? 0}`;
    const value = source.kind === "parameter" ? source.value : source.output;
    const item = el("li", "valence-panel-input");
    item.append(el("span", "valence-panel-key", `${where} ← `), el("code", "", nodeLabel(source)));
    if (value && source.kind !== "parameter") item.append(el("span", "valence-panel-value", ` = ${value.preview}`));
    list.append(item);
  }
  if (!incoming.length) list.append(el("li", "valence-panel-none", "no inputs"));
  return list;
}

async function preview(node: DagNode, rendermime: IRenderMimeRegistry | undefined): Promise<HTMLElement> {
  const text = node.output ? `${node.output.preview}  (${node.output.type})` : "";
  const box = el("div", "valence-panel-output");
  if (!node.output) {
    const why: Partial<Record<string, string>> = {
      COMPLETED: "(no preview)",
      FAILED: "none: the task failed",
      CANCELLED: "none: cancelled",
    };
    box.textContent = why[node.status ?? ""] ?? "not computed yet";
    return box;
  }
  if (!rendermime) {
    box.append(el("pre", "", text));
    return box;
  }
  const model = rendermime.createModel({ data: { "text/plain": text } });
  const renderer = rendermime.createRenderer("text/plain");
  await renderer.renderModel(model);
  box.append(renderer.node);
  return box;
}

async function logs(node: DagNode, context: PanelContext): Promise<HTMLElement> {
  const box = el("div", "valence-panel-logs");
  const dispatchId = context.document.dispatch?.id;
  if (!dispatchId || !context.link?.current) {
    box.textContent = "logs need the dispatcher (run a Valence kernel)";
    return box;
  }
  try {
    const detail = await context.link.get<NodeDetail>(
      `/api/v1/dispatches/${encodeURIComponent(dispatchId)}/nodes/${node.id}`,
    );
    if (!detail.logs.length) box.textContent = "no output";
    for (const line of detail.logs) box.append(el("pre", `valence-log valence-log-${line.stream}`, line.text));
  } catch (error) {
    box.textContent = `cannot load logs: ${(error as Error).message}`;
  }
  return box;
}

/** A sublattice node's child dispatch(es): the graph it built at run time, opened live in a tab. */
async function children(node: DagNode, context: PanelContext): Promise<HTMLElement> {
  const box = el("div", "valence-panel-children");
  const dispatchId = context.document.dispatch?.id;
  if (!dispatchId || !context.link?.current) {
    box.textContent = "the child graph needs the dispatcher (run a Valence kernel)";
    return box;
  }
  try {
    const { dispatches } = await context.link.get<{ dispatches: DispatchSummary[] }>(
      `/api/v1/dispatches?parentId=${encodeURIComponent(dispatchId)}&limit=1000`,
    );
    const mine = dispatches.filter((child) => child.parentNode === node.id);
    if (!mine.length) box.textContent = "not built yet: it is built when the node runs";
    for (const child of mine) {
      const open = context.openDispatch;
      const label = `${child.latticeName} · ${child.status} · ${child.id.slice(0, 8)}`;
      box.append(open ? button(`Open ${label}`, () => open(child.id)) : el("span", "", label));
    }
  } catch (error) {
    box.textContent = `cannot list the child dispatch: ${(error as Error).message}`;
  }
  return box;
}

/** Fills `panel` with the details of `node`; resolves once logs and preview are in. */
export async function renderNodePanel(
  panel: HTMLElement,
  node: DagNode,
  context: PanelContext,
  close: () => void,
): Promise<void> {
  const header = el("div", "valence-panel-header");
  header.append(
    el("strong", "valence-panel-title", nodeLabel(node)),
    el("span", "valence-panel-kind", `${node.kind} · node ${node.id}`),
    el("span", `valence-dag-status ${statusClass(node.status ?? "NEW_OBJECT")}`, node.status ?? "NEW_OBJECT"),
  );
  const actions = el("div", "valence-panel-actions");
  actions.append(button("Copy node id", () => navigator.clipboard.writeText(String(node.id))));
  const dispatchId = context.document.dispatch?.id;
  if (dispatchId && context.cancellable && context.link) {
    const link = context.link;
    if (node.status === "PENDING" || node.status === "RUNNING" || node.status === "NEW_OBJECT")
      actions.append(button("Cancel node", () => link.cancel(dispatchId, [node.id])));
    actions.append(button("Cancel dispatch", () => link.cancel(dispatchId)));
  }
  actions.append(button("Close", close));
  header.append(actions);

  const timings = el("dl", "valence-panel-timings");
  const fact = (term: string, value: string): void => timings.append(el("dt", "", term), el("dd", "", value));
  fact("attempts", String(node.attempts ?? 0));
  if (node.startedAt !== undefined) fact("started", time(node.startedAt));
  if (node.endedAt !== undefined) fact("ended", time(node.endedAt));
  if (node.startedAt !== undefined && node.endedAt !== undefined)
    fact("took", formatDuration(node.endedAt - node.startedAt));
  if (node.reused) fact("reused", "output taken from an earlier run");
  if (node.worker) fact("ran on", workerLabel(node.worker));
  if (node.queuedMs !== undefined) fact("queued", formatQueued(node.queuedMs));

  const parts: HTMLElement[] = [header];
  if (node.waiting !== undefined) {
    const waiting = el("p", "valence-panel-waiting", node.waiting);
    waiting.setAttribute("role", "status");
    parts.push(section("Waiting for a worker", waiting));
  }
  const timingSection = section("Timings", timings);
  parts.push(section("Inputs", inputs(node, context)), timingSection);
  if (node.error) {
    const error = el("pre", "valence-panel-error", node.error.stack ?? `${node.error.name}: ${node.error.message}`);
    error.setAttribute("role", "alert");
    parts.push(section("Error", error));
  }
  panel.replaceChildren(...parts);
  panel.hidden = false;
  if (node.kind === "electron" || node.kind === "sublattice") {
    const [output, log, child] = await Promise.all([
      preview(node, context.rendermime),
      logs(node, context),
      node.kind === "sublattice" ? children(node, context) : undefined,
    ]);
    // Another node (or this one, updated) was shown meanwhile: that panel is not ours to fill.
    if (!panel.contains(header)) return;
    panel.insertBefore(section("Output", output), timingSection);
    if (child) panel.insertBefore(section("Child graph", child), timingSection);
    panel.append(section("Logs", log));
  }
}
