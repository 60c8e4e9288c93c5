// The browser scenario of the install test (ui-tests/installed/): the same browser and settings as the
// suite, without its global setup. kernel/test/package/package.test.ts runs it against a JupyterLab
// it starts on the packed package's install; VALENCE_LAB_BASE_URL and VALENCE_LAB_TOKEN say where.
import { defineConfig } from "@playwright/test";

import suite from "./playwright.config";

export default defineConfig({
  ...suite,
  testDir: "installed",
  // Not under test-results/: the suite, which runs after the install test in `npm test`, empties that.
  outputDir: "installed/test-results",
  globalSetup: undefined,
  reporter: [["list"]],
});
