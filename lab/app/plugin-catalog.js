// Sorts the plugins of extension modules into active, disabled and deferred ones, and keeps what the
// plugin manager lists about each (JupyterLab.IPluginInfo).
import { PageConfig } from "@jupyterlab/coreutils";

/** The plugins a module exports: its default export (ES module) or itself (CommonJS), one or many. */
function pluginsOf(exports) {
  const plugins = Object.prototype.hasOwnProperty.call(exports, "__esModule") ? exports.default : exports;
  return Array.isArray(plugins) ? plugins : [plugins];
}

export class PluginCatalog {
  /** Every plugin seen, enabled or not. */
  all = [];
  /** Ids of the plugins left out by the page config's `disabledExtensions`. */
  disabled = [];
  /** Ids of the plugins that start only when something requires them (`deferredExtensions`). */
  deferred = [];

  /** The plugins of one extension module that should be registered (deferred ones included). */
  active(scope, exports) {
    const active = [];
    for (const plugin of pluginsOf(exports)) {
      const enabled = !PageConfig.Extension.isDisabled(plugin.id);
      this.all.push({
        id: plugin.id,
        description: plugin.description,
        requires: plugin.requires ?? [],
        optional: plugin.optional ?? [],
        provides: plugin.provides ?? null,
        autoStart: plugin.autoStart,
        enabled,
        extension: scope,
      });
      if (!enabled) {
        this.disabled.push(plugin.id);
        continue;
      }
      if (PageConfig.Extension.isDeferred(plugin.id)) this.deferred.push(plugin.id);
      active.push(plugin);
    }
    return active;
  }
}
