// Runs every test file with node's test runner, through Valence's own loader (valence/register), so
// test files are transpiled and instrumented exactly as a user's script is.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const testDirs = ["kernel/test"];

function find(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "fixtures" || entry.name === "typing" ? [] : find(path);
    return entry.name.endsWith(".test.ts") ? [path] : [];
  });
}

// The kernel tests drive the Valence kernel with Jupyter's own Python tools (Debian packages; PyPI is
// not reachable from CI).
const apt = spawnSync(
  process.execPath,
  [join(root, "scripts", "apt.mjs"), "python3-jupyter-client", "python3-jupyter-kernel-test", "python3-nbclient"],
  { stdio: "inherit" },
);
if (apt.status !== 0) process.exit(apt.status ?? 1);

const files = testDirs.flatMap((dir) => find(join(root, dir))).map((f) => relative(root, f));
const args = [
  "--import",
  "./kernel/dist/register.js",
  "--test",
  "--test-reporter=spec",
  ...process.argv.slice(2),
  ...files,
];
const { status } = spawnSync(process.execPath, args, { cwd: root, stdio: "inherit" });
process.exit(status ?? 1);
