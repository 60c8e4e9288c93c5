// A dispatch's DAG in a main-area tab, opened from the Dispatches sidebar or the command palette:
// fetched from the dispatcher (GET /dispatches/{id}/graph) and followed live like a cell's output.
import { Widget } from "@lumino/widgets";

import type { DispatcherLink } from "./link";
import { parseDagDocument } from "./document";
import { DagView, type ViewServices } from "./view";

export class DispatchPanel extends Widget {
  private readonly view: DagView;

  constructor(
    readonly dispatchId: string,
    private readonly link: DispatcherLink,
    services: ViewServices,
  ) {
    super();
    this.id = `valence-dispatch-${dispatchId}`;
    this.addClass("valence-dispatch-panel");
    this.addClass("valence-dag-output");
    this.title.label = `Dispatch ${dispatchId.slice(0, 8)}`;
    this.title.closable = true;
    this.view = new DagView(services);
    this.node.append(this.view.node);
    void this.refresh();
  }

  async refresh(): Promise<void> {
    try {
      const document = parseDagDocument(
        await this.link.get(`/api/v1/dispatches/${encodeURIComponent(this.dispatchId)}/graph`),
      );
      this.title.label = `${document.lattice.name} · ${this.dispatchId.slice(0, 8)}`;
      this.view.show(document);
    } catch (error) {
      const alert = document.createElement("div");
      alert.className = "valence-error";
      alert.setAttribute("role", "alert");
      alert.textContent = `Cannot show dispatch ${this.dispatchId}: ${(error as Error).message}`;
      this.node.replaceChildren(alert, this.view.node);
    }
  }

  cancel(): Promise<void> {
    return this.view.cancel();
  }

  override dispose(): void {
    this.view.dispose();
    super.dispose();
  }
}
