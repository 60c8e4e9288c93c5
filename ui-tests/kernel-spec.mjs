// The kernel the UI tests run: the Valence kernel, installed by `valence install` exactly as a user
// installs it. Plain JavaScript so that run.mjs (Node without a TypeScript loader) can use it too.
import { execFileSync } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const DAG_MIME_TYPE = "application/vnd.valence.dag+json";
export const VALENCE_CLI = join(repo, "kernel", "dist", "cli", "main.js");

export const KERNEL = {
  /** The kernel spec's folder under kernels/ (what notebooks record). */
  name: "valence",
  spec: { display_name: "TypeScript (Valence)", argv: [process.execPath, VALENCE_CLI] },
  /** TypeScript for a cell that displays `document` as an application/vnd.valence.dag+json output. */
  displayDagCode: (document) =>
    `import * as ct from "valence-workflows";\nawait ct.display({ ${JSON.stringify(DAG_MIME_TYPE)}: ${JSON.stringify(document)}, "text/plain": "DAG" }, { raw: true });`,
};

/** `valence install --data-dir <dataDir>`: the kernel spec (the host loads the extension from extension/dist). */
export function installKernelSpec(dataDir) {
  execFileSync(process.execPath, [VALENCE_CLI, "install", "--data-dir", dataDir, "--no-extension"], {
    stdio: "ignore",
  });
}
