// Builds the prebuilt (federated) JupyterLab extension into dist/labextensions/@valence/jupyterlab-extension,
// the folder a pip user's JupyterLab (or `valence install`) puts on its labextensions path:
// tsc → dist/lib, then @jupyter/builder's build-labextension against JupyterLab 4.6.4's core
// package. Incremental: installs only when the lockfile changed, rebuilds only when an input changed.
// Usage: node extension/scripts/build.mjs [--force] [--development]
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

import { digestOf, ensureInstalled, isFresh, writeStamp } from "../../lab/scripts/stamps.mjs";
import { syncSchema } from "./sync-schema.mjs";

const extension = join(dirname(fileURLToPath(import.meta.url)), "..");
const pkg = JSON.parse(readFileSync(join(extension, "package.json"), "utf8"));
const output = join(extension, pkg.jupyterlab.outputDir);
const stamp = join(extension, "dist", ".build-stamp");
const BUILD_INPUTS = ["package.json", "package-lock.json", "tsconfig.json", "src", "schema", "style", "scripts"];

/** Bytes of the JavaScript a browser loads for the extension (remote entry and chunks). */
export function extensionJsBytes() {
  const statics = join(output, "static");
  return readdirSync(statics)
    .filter((name) => name.endsWith(".js"))
    .reduce((sum, name) => sum + statSync(join(statics, name)).size, 0);
}

export function buildExtension({ force = false, development = false } = {}) {
  ensureInstalled(extension, "extension");
  syncSchema();
  const digest = digestOf(extension, BUILD_INPUTS, development ? "development" : "production");
  if (!force && isFresh(stamp, digest) && existsSync(join(output, "package.json"))) {
    console.error("extension: build is up to date");
    return;
  }
  const started = Date.now();
  rmSync(join(extension, "dist"), { recursive: true, force: true });
  const node = (script, args) =>
    execFileSync(process.execPath, [script, ...args], { cwd: extension, stdio: "inherit" });
  node(join(extension, "node_modules", "typescript", "bin", "tsc"), ["-p", "."]);
  node(join(extension, "node_modules", "@jupyter", "builder", "lib", "build-labextension.js"), [
    "--core-package-file",
    join(extension, "node_modules", "@jupyterlab", "core-meta", "core.package.json"),
    ...(development ? ["--development"] : []),
    ".",
  ]);
  writeStamp(stamp, digest);
  const kb = (extensionJsBytes() / 1024).toFixed(1);
  console.error(`extension: built in ${((Date.now() - started) / 1000).toFixed(1)} s, ${kb} KiB of JavaScript`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { force: { type: "boolean" }, development: { type: "boolean" } } });
  try {
    buildExtension(values);
  } catch (error) {
    console.error(error.message ?? error);
    process.exit(1);
  }
}
