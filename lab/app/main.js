// Starts JupyterLab: the core extensions built into this host plus the prebuilt (federated)
// extensions the server found on its labextensions path, minus the plugins the page config disables.
import { JupyterLab } from "@jupyterlab/application";
import { JupyterPluginRegistry, PageConfig } from "@jupyterlab/coreutils";
import { IConnectionStatus, IServiceManager } from "@jupyterlab/services";

import { coreExtensions, coreMimeExtensions } from "@valence/lab-generated/extensions.js";
import "@valence/lab-generated/style.js";
import { PluginCatalog } from "./plugin-catalog.js";

/** Gets one module that a federated extension's container exposes (`./extension`, `./style`...). */
async function federatedModule(scope, module) {
  const factory = await window._JUPYTERLAB[scope].get(module);
  return factory();
}

/** Settles all promises, reports the failures, and returns the values of the others. */
async function settled(promises) {
  const results = await Promise.allSettled(promises);
  for (const result of results) {
    if (result.status === "rejected") console.error(result.reason);
  }
  return results.filter((result) => result.status === "fulfilled").map((result) => result.value);
}

export async function main() {
  const federated = JSON.parse(PageConfig.getOption("federated_extensions") || "[]");
  // A federated extension replaces a core one of the same name, as in JupyterLab.
  const replaced = new Set(federated.map((data) => data.name));
  const catalog = new PluginCatalog();

  const load = (scope, module) => federatedModule(scope, module).then((exports) => ({ scope, exports }));
  const federatedMime = settled(federated.filter((d) => d.mimeExtension).map((d) => load(d.name, d.mimeExtension)));
  const federatedApp = settled(federated.filter((d) => d.extension).map((d) => load(d.name, d.extension)));
  const styles = settled(
    federated.filter((d) => d.style && !PageConfig.Extension.isDisabled(d.name)).map((d) => load(d.name, d.style)),
  );

  const mimeExtensions = [];
  for (const [scope, exports] of coreMimeExtensions) {
    if (!replaced.has(scope)) mimeExtensions.push(...catalog.active(scope, exports));
  }
  for (const { scope, exports } of await federatedMime) mimeExtensions.push(...catalog.active(scope, exports));

  const plugins = [];
  for (const [scope, exports] of coreExtensions) {
    if (!replaced.has(scope)) plugins.push(...catalog.active(scope, exports));
  }
  for (const { scope, exports } of await federatedApp) plugins.push(...catalog.active(scope, exports));
  await styles;

  const pluginRegistry = new JupyterPluginRegistry();
  pluginRegistry.registerPlugins(plugins);
  const connectionStatus = await pluginRegistry.resolveOptionalService(IConnectionStatus);
  const serviceManager = await pluginRegistry.resolveRequiredService(IServiceManager);

  const lab = new JupyterLab({
    pluginRegistry,
    serviceManager,
    connectionStatus,
    mimeExtensions,
    disabled: { matches: catalog.disabled, patterns: PageConfig.Extension.disabled },
    deferred: { matches: catalog.deferred, patterns: PageConfig.Extension.deferred },
    availablePlugins: catalog.all,
  });
  await lab.start({ ignorePlugins: catalog.deferred, bubblingKeydown: true });

  if (PageConfig.getOption("exposeAppInBrowser").toLowerCase() === "true") window.jupyterapp = lab;
}
