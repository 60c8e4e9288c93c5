// The JupyterLab plugin: registers the renderer for application/vnd.valence.dag+json, links the page
// to the dispatcher through running Valence kernels, and adds the Dispatches sidebar, the commands
// and the settings (schema/plugin.json).
import { ILabShell, type JupyterFrontEnd, type JupyterFrontEndPlugin } from "@jupyterlab/application";
import { ICommandPalette, MainAreaWidget } from "@jupyterlab/apputils";
import { INotebookTracker } from "@jupyterlab/notebook";
import { IRenderMimeRegistry } from "@jupyterlab/rendermime";
import type { IRenderMime } from "@jupyterlab/rendermime-interfaces";
import { ISettingRegistry } from "@jupyterlab/settingregistry";
import { LabIcon } from "@jupyterlab/ui-components";

import { DispatchPanel } from "./dispatch-panel";
import { watchNotebookKernels } from "./kernels";
import type { Direction } from "./layout";
import { DispatcherLink } from "./link";
import { DAG_MIME_TYPE } from "./mime";
import { DagRenderer } from "./renderer";
import { DispatchesSidebar } from "./sidebar";
import { DagView, DEFAULT_SETTINGS, type ViewServices, type ViewSettings } from "./view";

export { DAG_MIME_TYPE };

const PLUGIN_ID = "@valence/jupyterlab-extension:plugin";

export const COMMANDS = {
  openDispatches: "valence:open-dispatches",
  refresh: "valence:refresh",
  cancelDispatch: "valence:cancel-dispatch",
  fitGraph: "valence:fit-graph",
} as const;

const valenceIcon = new LabIcon({
  name: "valence:dispatches",
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><g class="jp-icon3" fill="#616161">' +
    '<circle cx="5" cy="6" r="2.6"/><circle cx="5" cy="18" r="2.6"/><circle cx="19" cy="12" r="2.6"/>' +
    '<path d="M7 7l10 4.2-.6 1.4L6.4 8.4zM6.4 15.6l10-4.2.6 1.4-10 4.2z"/></g></svg>',
});

function readSettings(settings: ISettingRegistry.ISettings): ViewSettings & { dispatcherUrl: string } {
  const get = <T>(key: string, fallback: T): T => (settings.get(key).composite as T | undefined) ?? fallback;
  return {
    direction: get<Direction>("direction", DEFAULT_SETTINGS.direction),
    collapseThreshold: get("collapseThreshold", DEFAULT_SETTINGS.collapseThreshold),
    hideHelpers: get("hideHelperNodes", DEFAULT_SETTINGS.hideHelpers),
    dispatcherUrl: get("dispatcherUrl", ""),
  };
}

function activate(
  app: JupyterFrontEnd,
  rendermime: IRenderMimeRegistry,
  tracker: INotebookTracker | null,
  settingRegistry: ISettingRegistry | null,
  palette: ICommandPalette | null,
  labShell: ILabShell | null,
): void {
  const link = new DispatcherLink();
  let current: ViewSettings = DEFAULT_SETTINGS;
  // Filled in below, once the main-area tabs exist.
  let openDispatch = (_dispatchId: string): void => undefined;
  const services: ViewServices = {
    link,
    rendermime,
    settings: () => current,
    openDispatch: (dispatchId) => openDispatch(dispatchId),
  };
  const factory: IRenderMime.IRendererFactory = {
    safe: true,
    mimeTypes: [DAG_MIME_TYPE],
    defaultRank: 0,
    createRenderer: (options) => new DagRenderer(options, services),
  };
  rendermime.addFactory(factory, 0);
  if (tracker) watchNotebookKernels(tracker, link);

  if (settingRegistry) {
    void settingRegistry
      .load(PLUGIN_ID)
      .then((settings) => {
        const apply = (): void => {
          const { dispatcherUrl, ...view } = readSettings(settings);
          current = view;
          link.setOverrideUrl(dispatcherUrl);
          for (const dag of DagView.all) dag.redraw();
        };
        apply();
        settings.changed.connect(apply);
      })
      .catch((error: unknown) => console.warn("Valence: settings not loaded, using defaults", error));
  }

  const panels = new Map<string, MainAreaWidget<DispatchPanel>>();
  openDispatch = (dispatchId: string): void => {
    let panel = panels.get(dispatchId);
    if (!panel || panel.isDisposed) {
      panel = new MainAreaWidget({ content: new DispatchPanel(dispatchId, link, services) });
      panel.id = `valence-dispatch-tab-${dispatchId}`;
      panel.title.icon = valenceIcon;
      panels.set(dispatchId, panel);
      app.shell.add(panel, "main");
    }
    app.shell.activateById(panel.id);
  };
  const sidebar = new DispatchesSidebar(link, openDispatch);
  sidebar.title.icon = valenceIcon;
  if (labShell) labShell.add(sidebar, "right", { rank: 900 });

  app.commands.addCommand(COMMANDS.openDispatches, {
    label: "Valence: Open Dispatches",
    execute: () => app.shell.activateById(sidebar.id),
  });
  app.commands.addCommand(COMMANDS.refresh, {
    label: "Valence: Refresh Dispatches",
    execute: async () => {
      await sidebar.refresh();
      await Promise.all([...panels.values()].filter((p) => !p.isDisposed).map((p) => p.content.refresh()));
    },
  });
  app.commands.addCommand(COMMANDS.cancelDispatch, {
    label: "Valence: Cancel the Selected Dispatch",
    isEnabled: () => DagView.active?.dispatchId !== undefined,
    execute: () => DagView.active?.cancel(),
  });
  app.commands.addCommand(COMMANDS.fitGraph, {
    label: "Valence: Fit the Graph to View",
    isEnabled: () => DagView.active !== undefined,
    execute: () => DagView.active?.resetZoom(),
  });
  for (const command of Object.values(COMMANDS)) palette?.addItem({ command, category: "Valence" });
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: "Draws Valence lattices' DAGs in notebook outputs, live while they run, and lists dispatches.",
  autoStart: true,
  requires: [IRenderMimeRegistry],
  optional: [INotebookTracker, ISettingRegistry, ICommandPalette, ILabShell],
  activate,
};

export default plugin;
