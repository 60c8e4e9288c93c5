// Makes the browser tests runnable from a fresh clone: Debian's Jupyter server, Chromium and Redis,
// the test kernel (the root workspace's setup, when the kernel is not built), the npm packages of
// ui-tests/, and the JupyterLab host and the prebuilt extension, built when their inputs changed.
// run.mjs calls it before Playwright; scripts/test.mjs before the node tests too, because the install
// test (kernel/test/package) runs ui-tests/installed/ against the packed package. Needs the network
// only when something is missing. Usage: node ui-tests/prepare.mjs
import { execFileSync } from "node:child_process";
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

export async function prepareUiTests() {
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
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await prepareUiTests();
