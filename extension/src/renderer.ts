// The output widget for a DAG bundle: a DagView (live when the bundle names a running dispatch), or
// a readable error when the bundle is not a DAG document the renderer understands.
import type { IRenderMime } from "@jupyterlab/rendermime-interfaces";
import { Widget } from "@lumino/widgets";

import { DagDocumentError, parseDagDocument } from "./document";
import { DagView, type ViewServices } from "./view";

function errorElement(error: unknown): HTMLElement {
  const reason = error instanceof Error ? error.message : String(error);
  const alert = document.createElement("div");
  alert.className = "valence-error";
  alert.textContent = `Cannot draw this Valence DAG: ${reason}`;
  alert.setAttribute("role", "alert");
  return alert;
}

export class DagRenderer extends Widget implements IRenderMime.IRenderer {
  private readonly mimeType: string;
  private view: DagView | undefined;

  constructor(
    options: IRenderMime.IRendererOptions,
    private readonly services: ViewServices,
  ) {
    super();
    this.mimeType = options.mimeType;
    this.addClass("valence-dag-output");
  }

  renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    try {
      const dag = parseDagDocument(model.data[this.mimeType]);
      if (this.view) this.view.update(dag);
      else {
        this.view = new DagView(this.services);
        this.view.show(dag);
      }
      if (this.node.firstChild !== this.view.node) this.node.replaceChildren(this.view.node);
    } catch (error) {
      // A malformed bundle is expected input; anything else is a bug worth a stack trace.
      if (!(error instanceof DagDocumentError)) console.error("Valence: drawing the DAG failed", error);
      this.view?.dispose();
      this.view = undefined;
      this.node.replaceChildren(errorElement(error));
    }
    return Promise.resolve();
  }

  override dispose(): void {
    this.view?.dispose();
    this.view = undefined;
    super.dispose();
  }
}
