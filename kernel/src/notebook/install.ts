// `valence install`: registers the kernel spec "TypeScript (Valence)" — and the prebuilt JupyterLab
// extension when this package ships one — in a Jupyter data directory, found the way Jupyter finds
// it: --data-dir, $JUPYTER_DATA_DIR, `jupyter --data-dir`, else ~/.local/share/jupyter.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { PACKAGE_ROOT } from "./valence-module";

export const KERNEL_NAME = "valence";
export const DISPLAY_NAME = "TypeScript (Valence)";
export const EXTENSION_NAME = "@valence/jupyterlab-extension";
/** The prebuilt extension: shipped inside the package, or built by extension/ in the repository. */
const EXTENSION_DIRS = [
  join(PACKAGE_ROOT, "labextension"),
  join(PACKAGE_ROOT, "..", "extension", "dist", "labextensions", ...EXTENSION_NAME.split("/")),
];

export interface InstallOptions {
  readonly dataDir?: string;
  /** Also install the prebuilt JupyterLab extension (default true when one is built). */
  readonly extension?: boolean;
}

export interface Installed {
  readonly kernelDir: string;
  readonly extensionDir?: string;
  readonly warnings: string[];
}

export function jupyterDataDir(explicit?: string): string {
  if (explicit) return resolve(explicit);
  if (process.env.JUPYTER_DATA_DIR) return resolve(process.env.JUPYTER_DATA_DIR);
  for (const jupyter of ["jupyter", "/usr/bin/jupyter"]) {
    const found = spawnSync(jupyter, ["--data-dir"], { encoding: "utf8", timeout: 10_000 });
    if (found.status === 0 && found.stdout.trim()) return found.stdout.trim();
  }
  return join(homedir(), ".local", "share", "jupyter");
}

export function kernelSpec(): Record<string, unknown> {
  return {
    // Absolute paths: the kernel runs with this Node and this package, whatever PATH Jupyter has.
    argv: [
      process.execPath,
      join(PACKAGE_ROOT, "dist", "cli", "main.js"),
      "kernel",
      "--connection-file",
      "{connection_file}",
    ],
    display_name: DISPLAY_NAME,
    language: "typescript",
    interrupt_mode: "signal",
    env: {},
    metadata: { debugger: false },
  };
}

export function install(options: InstallOptions = {}): Installed {
  const dataDir = jupyterDataDir(options.dataDir);
  const warnings: string[] = [];
  if (/[\\/]_npx[\\/]/.test(PACKAGE_ROOT))
    warnings.push(
      `valence runs from npx's temporary cache (${PACKAGE_ROOT}); the kernel stops working when the cache is cleared. ` +
        "Install valence-workflows (npm install -g valence-workflows) and run `valence install` again.",
    );
  const kernelDir = join(dataDir, "kernels", KERNEL_NAME);
  mkdirSync(kernelDir, { recursive: true });
  writeFileSync(join(kernelDir, "kernel.json"), JSON.stringify(kernelSpec(), null, 2) + "\n");
  cpSync(join(PACKAGE_ROOT, "assets", "logo.svg"), join(kernelDir, "logo-svg.svg"));
  let extensionDir: string | undefined;
  if (options.extension !== false) {
    const built = EXTENSION_DIRS.find((dir) => existsSync(join(dir, "package.json")));
    if (built) {
      extensionDir = join(dataDir, "labextensions", ...EXTENSION_NAME.split("/"));
      rmSync(extensionDir, { recursive: true, force: true });
      cpSync(built, extensionDir, { recursive: true });
    } else if (options.extension === true) {
      throw new Error(`the JupyterLab extension is not built (run \`node extension/scripts/build.mjs\`)`);
    } else warnings.push("the JupyterLab extension is not built; only the kernel was installed");
  }
  return { kernelDir, ...(extensionDir ? { extensionDir } : {}), warnings };
}
