// The JupyterLab MIME extension: notebook outputs of type application/vnd.valence.dag+json are
// drawn as the lattice's DAG.
import type { IRenderMime } from "@jupyterlab/rendermime-interfaces";

import { DAG_MIME_TYPE } from "./mime";
import { DagRenderer } from "./renderer";

export { DAG_MIME_TYPE };

export const rendererFactory: IRenderMime.IRendererFactory = {
  safe: true,
  mimeTypes: [DAG_MIME_TYPE],
  defaultRank: 0,
  createRenderer: (options) => new DagRenderer(options),
};

const extension: IRenderMime.IExtension = {
  id: "@valence/jupyterlab-extension:dag-renderer",
  description: "Draws Valence lattices' DAGs in notebook outputs.",
  rendererFactory,
  rank: 0,
  dataType: "json",
};

export default extension;
