// `npm test` after setup: every node test file (kernel/test/**, extension/test/**, through Valence's own loader, so test
// files are transpiled and instrumented exactly as a user's script is), then the UI suite (Playwright
// in Debian's Chromium against the real JupyterLab host). Ends with one line: "N passed, N failed".
// `node scripts/test.mjs --no-ui` runs only the node tests; other arguments go to node's runner.
// What the tests use is installed first, here, so that no test needs the network: Debian packages,
// the browser tests' npm packages and builds (the install test runs ui-tests/installed/ too), the
// pinned npm majors of kernel/test/package/npm-majors, and a package in npm's cache.
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

import { ensureInstalled } from "../lab/scripts/stamps.mjs";
import { prepareUiTests } from "../ui-tests/prepare.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const testDirs = ["kernel/test", "extension/test"];
const args = process.argv.slice(2);
const ui = !args.includes("--no-ui");
const nodeArgs = args.filter((a) => a !== "--no-ui");

// The kernel tests drive the Valence kernel with Jupyter's own Python tools (Debian packages; PyPI is
// not reachable from CI); the BullMQ tests start their own Debian redis-server.
const apt = spawnSync(
  process.execPath,
  [
    join(root, "scripts", "apt.mjs"),
    "python3-jupyter-client",
    "python3-jupyter-kernel-test",
    "python3-nbclient",
    "redis-server",
  ],
  { stdio: "inherit" },
);
if (apt.status !== 0) process.exit(apt.status ?? 1);
await prepareUiTests();
// The tests are type-checked before they run (the loader only strips their types), once the extension's
// packages and schema copies exist (prepareUiTests builds the extension).
for (const project of ["kernel/test", "extension/test"]) {
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  const checked = spawnSync(process.execPath, [tsc, "-p", project], { cwd: root, stdio: "inherit" });
  if (checked.status !== 0) {
    console.error(`type errors in ${project} (npm run typecheck:tests)`);
    process.exit(checked.status ?? 1);
  }
}
ensureInstalled(join(root, "kernel", "test", "package", "npm-majors"), "npm-majors");
// Tests that install deps.npm packages (the README's example in kernel/test/readme/fragments.test.ts,
// kernel/test/e2e/deps.test.ts) run npm offline, from its cache alone: put the packages there while
// the registry is reachable, so no test sends traffic off the machine.
for (const spec of ["is-number@7.0.0", "is-number@6.0.0", "is-odd@3.0.1"])
  spawnSync("npm", ["cache", "add", spec, "--loglevel=error"], { stdio: "inherit" });

/**
 * Compiles the tests' TypeScript once, here, into the loader's cache (kernel/src/loader/transform-cache.ts),
 * as each test process would: those processes then never load TypeScript, which costs each a second.
 */
function warmLoaderCache() {
  const require = createRequire(import.meta.url);
  const dist = join(root, "kernel", "dist");
  const { prepareFile } = require(join(dist, "loader", "transform.js"));
  const typescript = (name) => /\.m?ts$/.test(name) && !name.endsWith(".d.ts");
  for (const path of testDirs.flatMap((dir) => find(join(root, dir), typescript, ["node_modules"]))) {
    try {
      prepareFile(readFileSync(path, "utf8"), path, { typescript: true, format: "module", valenceDist: dist });
    } catch {
      // A fixture that does not compile on purpose: its test meets the error itself.
    }
  }
}

/** The files under `dir` whose names `wanted` accepts, not looking into folders named in `skip`. */
function find(dir, wanted, skip) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return skip.includes(entry.name) ? [] : find(path, wanted, skip);
    return wanted(entry.name) ? [path] : [];
  });
}

const reports = mkdtempSync(join(tmpdir(), "valence-test-report-"));
const tap = join(reports, "node.tap");

// kernel/test/package packs kernel/ here, before any test runs: its prepack writes into kernel/
// (the bundled schema copy, which kernel/dist resolves first) while other test files would be using it.
const pack = spawnSync("npm", ["pack", "--json", "--pack-destination", reports], {
  cwd: join(root, "kernel"),
  encoding: "utf8",
  stdio: ["ignore", "pipe", "inherit"],
  env: Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("npm_"))),
});
if (pack.status !== 0) process.exit(pack.status ?? 1);
const packReport = join(reports, "pack.json");
writeFileSync(packReport, pack.stdout);
const files = testDirs
  .flatMap((dir) => find(join(root, dir), (name) => name.endsWith(".test.ts"), ["fixtures", "typing", "node_modules"]))
  .map((f) => relative(root, f));
warmLoaderCache();
const nodeRun = spawnSync(
  process.execPath,
  [
    "--import",
    "./kernel/dist/register.js",
    "--test",
    "--test-reporter=spec",
    "--test-reporter-destination=stdout",
    "--test-reporter=tap",
    `--test-reporter-destination=${tap}`,
    ...nodeArgs,
    ...files,
  ],
  { cwd: root, stdio: "inherit", env: { ...process.env, VALENCE_TEST_PACK_REPORT: packReport } },
);
const tapText = readFileSync(tap, "utf8");
const count = (name) => Number(new RegExp(`^# ${name} (\\d+)$`, "m").exec(tapText)?.[1] ?? 0);
let passed = count("pass");
let failed = count("fail") + count("cancelled");
if (nodeRun.status !== 0 && failed === 0) failed = 1; // the runner itself failed

let uiStatus = 0;
if (ui) {
  const json = join(reports, "ui.json");
  const run = spawnSync(process.execPath, [join(root, "ui-tests", "run.mjs")], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, PLAYWRIGHT_JSON_OUTPUT_NAME: json },
  });
  uiStatus = run.status ?? 1;
  try {
    const { stats } = JSON.parse(readFileSync(json, "utf8"));
    passed += stats.expected + stats.flaky;
    failed += stats.unexpected;
  } catch {
    failed += 1; // the suite did not get as far as a report
  }
}
rmSync(reports, { recursive: true, force: true });
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(nodeRun.status || uiStatus || (failed ? 1 : 0));
