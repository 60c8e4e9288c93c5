// Entry point of the JupyterLab host page. It sets where chunks load from, then loads every prebuilt
// (federated) extension the server lists and joins it to the shared module scope, and only then
// imports the application: shared packages are chosen once all containers have offered theirs.
import { pageOption } from "./page-config.js";

// Must run before any chunk loads: the server decides the static URL at request time.
__webpack_public_path__ = `${pageOption("fullStaticUrl")}/`;

function loadScript(url) {
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.onload = resolve;
    script.onerror = () => reject(new Error(`could not load ${url}`));
    script.async = true;
    script.src = url;
    document.head.appendChild(script);
  });
}

/** Loads one extension's remote entry and lets its container share modules with ours. */
async function joinFederatedExtension(baseUrl, { name, load }) {
  await loadScript(`${baseUrl}/${name}/${load}`);
  await __webpack_init_sharing__("default");
  const container = window._JUPYTERLAB[name];
  await container.init(__webpack_share_scopes__.default);
}

async function bootstrap() {
  const baseUrl = pageOption("fullLabextensionsUrl");
  const federated = pageOption("federated_extensions") || [];
  const joined = await Promise.allSettled(federated.map((data) => joinFederatedExtension(baseUrl, data)));
  for (const result of joined) {
    if (result.status === "rejected") console.error(result.reason);
  }
  const { main } = await import("./main.js");
  if (document.readyState === "complete") await main();
  else window.addEventListener("load", () => void main());
}

void bootstrap();
