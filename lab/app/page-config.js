// Reads the page configuration the server renders into index.html (`jupyter-config-data`). The
// bootstrap needs it before any shared package (such as @jupyterlab/coreutils' PageConfig) may load.

let config;

/** One option of the page configuration, or "" when absent (as PageConfig.getOption does). */
export function pageOption(name) {
  if (config === undefined) {
    const element = document.getElementById("jupyter-config-data");
    config = element ? JSON.parse(element.textContent || "{}") : {};
  }
  return config[name] ?? "";
}
