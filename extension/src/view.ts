// One DAG on screen, in a cell output or a main-area panel: the progress line, the drawing, and the
// node panel. When the document belongs to a dispatch that is still going, it follows the
// dispatcher live and recolours nodes in place; otherwise it shows the state the document holds.
import type { IRenderMimeRegistry } from "@jupyterlab/rendermime";

import { drawDag, type DrawnDag } from "./draw";
import { nodeTooltip } from "./labels";
import type { Direction } from "./layout";
import { layoutGraph, WORKER_THRESHOLD } from "./layout-async";
import type { DispatcherLink } from "./link";
import { DispatchWatch, isFinal, type LiveState } from "./live";
import { renderNodePanel } from "./panel";
import { renderProgress } from "./progress";
import type { DagDocument, DagNode } from "./schema/dag.generated";
import type { DispatchSummary, NodeState } from "./schema/protocol.generated";
import { groupCounts, groupStatus, isHelper, shapeGraph, type ShapedGraph } from "./shape";
import { enableZoom, type Zoom } from "./zoom";

export interface ViewSettings {
  readonly direction: Direction;
  readonly hideHelpers: boolean;
  readonly collapseThreshold: number;
}

export const DEFAULT_SETTINGS: ViewSettings = { direction: "LR", hideHelpers: false, collapseThreshold: 50 };

export interface ViewServices {
  readonly link?: DispatcherLink;
  readonly rendermime?: IRenderMimeRegistry;
  readonly settings: () => ViewSettings;
  /** Opens a dispatch in a main-area tab; absent where there is no shell (tests, benches). */
  readonly openDispatch?: (dispatchId: string) => void;
}

function div(className: string): HTMLDivElement {
  const element = document.createElement("div");
  element.className = className;
  return element;
}

/** Copies a node's run state from the dispatcher into the document's node. */
function merge(node: DagNode, state: NodeState): void {
  node.status = state.status;
  node.attempts = state.attempts;
  if (state.startedAt !== undefined) node.startedAt = state.startedAt;
  if (state.endedAt !== undefined) node.endedAt = state.endedAt;
  if (state.output) node.output = state.output;
  if (state.error) node.error = state.error;
  if (state.reused) node.reused = true;
  // Where the last attempt ran and why the node waits describe its current state: absent clears them.
  if (state.worker) node.worker = state.worker;
  else delete node.worker;
  if (state.queuedMs !== undefined) node.queuedMs = state.queuedMs;
  else delete node.queuedMs;
  if (state.waiting !== undefined) node.waiting = state.waiting;
  else delete node.waiting;
}

export class DagView {
  /** Every view on screen, so a settings change redraws them and commands find the active one. */
  static readonly all = new Set<DagView>();
  static active: DagView | undefined;

  readonly node = div("valence-dag-view");
  private readonly progress = div("valence-dag-summary");
  private readonly frame = div("valence-dag-frame");
  private readonly panel = div("valence-node-panel");
  private document: DagDocument | undefined;
  private nodes = new Map<number, DagNode>();
  private dispatch: DispatchSummary | undefined;
  private shaped: ShapedGraph | undefined;
  private drawn: DrawnDag | undefined;
  private zoom: Zoom | undefined;
  private readonly expanded = new Set<string>();
  private watch: DispatchWatch | undefined;
  private live: { state: LiveState; detail?: string } | undefined;
  private openNode: number | undefined;
  private ticker: ReturnType<typeof setInterval> | undefined;
  private generation = 0;

  constructor(private readonly services: ViewServices) {
    this.panel.hidden = true;
    this.node.append(this.progress, this.frame, this.panel);
    this.frame.addEventListener("click", (event) => this.onClick(event));
    this.frame.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") this.onClick(event);
    });
    this.node.addEventListener("pointerdown", () => (DagView.active = this));
    DagView.all.add(this);
  }

  get dispatchId(): string | undefined {
    return this.document?.dispatch?.id;
  }

  /** Shows `document` (a fresh copy: live updates change it). */
  show(document: DagDocument): void {
    this.stopLive();
    this.nodes = new Map(document.nodes.map((node) => [node.id, { ...node }]));
    this.document = { ...document, nodes: [...this.nodes.values()] };
    this.dispatch = undefined;
    this.live = undefined;
    this.shaped = undefined;
    this.drawn = undefined;
    this.redraw();
    const dispatch = document.dispatch;
    if (dispatch && !isFinal(dispatch.status)) {
      if (this.services.link) this.watch = new DispatchWatch(this.services.link, dispatch.id, this.listener());
      else this.setLive("offline", "this page has no link to the dispatcher");
      this.ticker = setInterval(() => this.renderProgress(), 1000);
    }
  }

  /**
   * A newer version of the shown document (the kernel updates a dispatch's output as it runs): the
   * same graph only needs its states merged, which keeps zoom, expanded groups and the open panel.
   */
  update(document: DagDocument): void {
    const current = this.document;
    const sameGraph =
      current?.dispatch !== undefined &&
      current.dispatch.id === document.dispatch?.id &&
      current.nodes.length === document.nodes.length &&
      document.nodes.every((node) => this.nodes.get(node.id)?.name === node.name);
    if (!sameGraph || !document.dispatch) return this.show(document);
    for (const node of document.nodes) {
      const mine = this.nodes.get(node.id)!;
      // The kernel's copy may lag the websocket: never step a node back from a final status.
      if (node.status && !(mine.status && isFinal(mine.status) && !isFinal(node.status))) {
        Object.assign(mine, node);
        if (node.waiting === undefined) delete mine.waiting; // live only: gone once it starts
      }
    }
    current.dispatch = { ...document.dispatch };
    if (isFinal(document.dispatch.status)) {
      this.stopLive();
      this.live = { state: "final" };
      if (this.dispatch) this.dispatch = { ...this.dispatch, status: document.dispatch.status };
    }
    this.restyle(document.nodes.map((node) => node.id));
  }

  /**
   * Draws again with the current settings and expanded groups, keeping the live state. Large graphs
   * are laid out in a worker, so the drawing may come a moment later: `rendered` settles then.
   */
  redraw(): void {
    if (!this.document) return;
    const document = this.document;
    const generation = ++this.generation;
    const settings = this.services.settings();
    const shaped = shapeGraph(document, { ...settings, expanded: this.expanded });
    this.renderProgress();
    if (shaped.nodes.length >= WORKER_THRESHOLD && !this.drawn) {
      const note = div("valence-dag-laying-out");
      note.textContent = `Laying out ${shaped.nodes.length.toLocaleString()} nodes…`;
      this.frame.replaceChildren(note);
    }
    this.rendered = layoutGraph(shaped, settings.direction).then(({ layout, place }) => {
      if (generation !== this.generation) return; // a newer drawing was asked for meanwhile
      this.frame.dataset.layout = place;
      this.shaped = shaped;
      this.drawn = drawDag(layout, `DAG of ${document.lattice.name}: ${document.nodes.length} nodes`);
      this.zoom = enableZoom(this.drawn.svg);
      this.frame.replaceChildren(this.drawn.svg);
      // Updates that arrived while the layout ran are not in its copy of the nodes: apply them now.
      this.restyle([...this.nodes.keys()]);
    });
  }

  /** Settles when the latest drawing is on screen. */
  rendered: Promise<void> = Promise.resolve();

  resetZoom(): void {
    this.zoom?.reset();
  }

  async cancel(): Promise<void> {
    const id = this.dispatchId;
    if (!id || !this.services.link) throw new Error("this DAG is not a dispatch that can be cancelled");
    await this.services.link.cancel(id);
  }

  dispose(): void {
    this.stopLive();
    DagView.all.delete(this);
    if (DagView.active === this) DagView.active = undefined;
  }

  private stopLive(): void {
    this.watch?.dispose();
    this.watch = undefined;
    clearInterval(this.ticker);
    this.ticker = undefined;
  }

  private listener() {
    return {
      snapshot: (dispatch: DispatchSummary, states: NodeState[]) => {
        this.dispatch = dispatch;
        for (const state of states) {
          const node = this.nodes.get(state.id);
          if (node) merge(node, state);
        }
        this.restyle(states.map((state) => state.id));
      },
      updates: (states: NodeState[], dispatch: DispatchSummary | undefined) => {
        if (dispatch) this.dispatch = dispatch;
        for (const state of states) {
          const node = this.nodes.get(state.id);
          if (node) merge(node, state);
        }
        this.restyle(states.map((state) => state.id));
      },
      state: (state: LiveState, detail?: string) => this.setLive(state, detail),
    };
  }

  private setLive(state: LiveState, detail?: string): void {
    this.live = detail === undefined ? { state } : { state, detail };
    if (state === "final" || state === "offline") {
      clearInterval(this.ticker);
      this.ticker = undefined;
    }
    this.renderProgress();
  }

  /** Recolours the drawn nodes standing for `ids` (a folded group once, however many members changed). */
  private restyle(ids: number[]): void {
    const { shaped, drawn } = this;
    if (!shaped || !drawn) return;
    const touched = new Set<number>();
    for (const id of ids) {
      const drawnId = shaped.drawnAs.get(id);
      if (drawnId !== undefined) touched.add(drawnId);
    }
    for (const drawnId of touched) {
      const group = drawnId < 0 ? shaped.nodes.find((n) => n.id === drawnId)?.group : undefined;
      if (group) {
        const members = group.members.map((id) => this.nodes.get(id)!);
        const counts = groupCounts(members);
        Object.assign(group.counts, counts);
        const name = `${members[0]!.name} ×${members.length}`;
        drawn.restyle(
          drawnId,
          groupStatus(counts, members),
          counts,
          nodeTooltip({ id: drawnId, kind: "electron", name }, counts),
          (counts.waiting ?? 0) > 0,
        );
      } else {
        const node = this.nodes.get(drawnId);
        if (node) drawn.restyle(drawnId, node.status, undefined, nodeTooltip(node), node.waiting !== undefined);
      }
    }
    this.renderProgress();
    if (this.openNode !== undefined && ids.includes(this.openNode)) void this.openPanel(this.openNode);
  }

  private renderProgress(): void {
    if (!this.document) return;
    const docDispatch = this.document.dispatch;
    const dispatch = this.dispatch ?? docDispatch;
    renderProgress(this.progress, {
      latticeName: this.document.lattice.name,
      tasks: this.document.nodes.filter((node) => !isHelper(node)),
      ...(dispatch ? { dispatch } : {}),
      ...(this.live ? { live: this.live } : {}),
    });
  }

  private onClick(event: Event): void {
    const target = (event.target as Element).closest?.("g.valence-node");
    if (!target) return;
    DagView.active = this;
    const drawnId = Number(target.getAttribute("data-node-id"));
    const group = this.shaped?.nodes.find((n) => n.id === drawnId)?.group;
    if (group) {
      this.expanded.add(group.key);
      this.redraw();
      return;
    }
    void this.openPanel(drawnId);
  }

  private async openPanel(id: number): Promise<void> {
    const node = this.nodes.get(id);
    if (!node || !this.document) return;
    this.openNode = id;
    const status = this.dispatch?.status ?? this.document.dispatch?.status;
    await renderNodePanel(
      this.panel,
      node,
      {
        document: this.document,
        nodes: this.nodes,
        link: this.services.link,
        rendermime: this.services.rendermime,
        cancellable: status !== undefined && !isFinal(status),
        openDispatch: this.services.openDispatch,
      },
      () => {
        this.openNode = undefined;
        this.panel.hidden = true;
      },
    );
  }
}
