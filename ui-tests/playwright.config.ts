// Playwright drives Debian's Chromium (never a downloaded browser) against the JupyterLab host that
// global-setup.ts starts. One worker: the suite shares one server and 2 cores.
import { defineConfig } from "@playwright/test";

export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

export default defineConfig({
  testDir: "tests",
  outputDir: "test-results",
  globalSetup: "./global-setup.ts",
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 90_000,
  expect: { timeout: 30_000 },
  // json too (file named by PLAYWRIGHT_JSON_OUTPUT_NAME): the root test command adds up its counts.
  reporter: process.env.PLAYWRIGHT_JSON_OUTPUT_NAME ? [["list"], ["json"]] : [["list"]],
  use: {
    browserName: "chromium",
    launchOptions: { executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS },
    viewport: { width: 1280, height: 800 },
    screenshot: "on",
    trace: "retain-on-failure",
  },
});
