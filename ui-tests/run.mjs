// Runs the UI suite from a fresh clone: prepare.mjs installs what is missing (Debian's Jupyter server
// and Chromium, the npm packages of lab/, extension/ and ui-tests/, the test kernel) and builds the
// JupyterLab host and the prebuilt extension when their inputs changed, then Playwright runs. Extra
// arguments go to Playwright (`node ui-tests/run.mjs -g "DAG"`). Exits with Playwright's status.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { prepareUiTests } from "./prepare.mjs";

const uiTests = dirname(fileURLToPath(import.meta.url));

const started = Date.now();
const seconds = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;

await prepareUiTests();
console.error(`ui-tests: ready in ${seconds()}, running Playwright…`);

const playwright = spawnSync(
  process.execPath,
  [join(uiTests, "node_modules", "@playwright", "test", "cli.js"), "test", ...process.argv.slice(2)],
  { cwd: uiTests, stdio: "inherit", env: { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: "1" } },
);
process.exit(playwright.status ?? 1);
