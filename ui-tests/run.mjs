// Runs the UI suite from a fresh clone: installs what is missing (Debian's Jupyter server and
// Chromium, the npm packages of lab/, extension/ and ui-tests/, the test kernel), builds the JupyterLab
// host and the prebuilt extension when their inputs changed, then runs Playwright. Extra arguments go
// to Playwright (`node ui-tests/run.mjs -g "DAG"`). Exits with Playwright's status.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { buildExtension } from "../extension/scripts/build.mjs";
import { buildLab } from "../lab/scripts/build.mjs";
import { ensureInstalled } from "../lab/scripts/stamps.mjs";
import { KERNEL } from "./kernel-spec.mjs";

const uiTests = dirname(fileURLToPath(import.meta.url));
const repo = join(uiTests, "..");
const DEBIAN_PACKAGES = ["python3-jupyter-server", "python3-jupyterlab-server", "chromium", "redis-server"];

const started = Date.now();
const seconds = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;

execFileSync(process.execPath, [join(repo, "scripts", "apt.mjs"), ...DEBIAN_PACKAGES], { stdio: "inherit" });

// The Valence kernel is built by the root workspace: set it up if absent.
const kernelScript = KERNEL.spec.argv[1];
if (!existsSync(kernelScript)) {
  console.error(`ui-tests: ${kernelScript} is missing; setting up the workspace (scripts/setup.mjs)…`);
  execFileSync(process.execPath, [join(repo, "scripts", "setup.mjs")], { cwd: repo, stdio: "inherit" });
}

ensureInstalled(uiTests, "ui-tests");
await buildLab();
buildExtension();
console.error(`ui-tests: ready in ${seconds()}, running Playwright…`);

const playwright = spawnSync(
  process.execPath,
  [join(uiTests, "node_modules", "@playwright", "test", "cli.js"), "test", ...process.argv.slice(2)],
  { cwd: uiTests, stdio: "inherit", env: { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: "1" } },
);
process.exit(playwright.status ?? 1);
