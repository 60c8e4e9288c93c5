// The output widget for a DAG bundle: a one-line summary above the drawing, or a readable error
// when the bundle is not a DAG document the renderer understands.
import type { IRenderMime } from "@jupyterlab/rendermime-interfaces";
import { Widget } from "@lumino/widgets";

import { DagDocumentError, parseDagDocument } from "./document";
import { drawDag, statusClass } from "./draw";
import { isTask, layoutDag } from "./layout";
import type { DagDocument } from "./schema/dag.generated";
import { enableZoom } from "./zoom";

function element(className: string, text?: string): HTMLDivElement {
  const div = document.createElement("div");
  div.className = className;
  if (text !== undefined) div.textContent = text;
  return div;
}

/** Lattice name, task count (completed ones when it belongs to a dispatch) and dispatch status. */
function summary(dag: DagDocument): HTMLElement {
  const tasks = dag.nodes.filter(isTask);
  const completed = tasks.filter((node) => node.status === "COMPLETED").length;
  const counts = dag.dispatch
    ? `${completed}/${tasks.length} tasks completed`
    : `${tasks.length} ${tasks.length === 1 ? "task" : "tasks"}`;
  const line = element("valence-dag-summary");
  line.append(element("valence-dag-name", dag.lattice.name), element("valence-dag-counts", counts));
  if (dag.dispatch) {
    line.append(element(`valence-dag-status ${statusClass(dag.dispatch.status)}`, dag.dispatch.status));
  }
  return line;
}

function errorElement(error: unknown): HTMLElement {
  const reason = error instanceof Error ? error.message : String(error);
  const alert = element("valence-error", `Cannot draw this Valence DAG: ${reason}`);
  alert.setAttribute("role", "alert");
  return alert;
}

export class DagRenderer extends Widget implements IRenderMime.IRenderer {
  private readonly mimeType: string;

  constructor(options: IRenderMime.IRendererOptions) {
    super();
    this.mimeType = options.mimeType;
    this.addClass("valence-dag-output");
  }

  renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    let content: HTMLElement[];
    try {
      const dag = parseDagDocument(model.data[this.mimeType]);
      const svg = drawDag(layoutDag(dag), `DAG of ${dag.lattice.name}: ${dag.nodes.length} nodes`);
      enableZoom(svg);
      const frame = element("valence-dag-frame");
      frame.append(svg);
      content = [summary(dag), frame];
    } catch (error) {
      // A malformed bundle is expected input; anything else is a bug worth a stack trace.
      if (!(error instanceof DagDocumentError)) console.error("Valence: drawing the DAG failed", error);
      content = [errorElement(error)];
    }
    this.node.replaceChildren(...content);
    return Promise.resolve();
  }
}
