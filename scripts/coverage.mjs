// `npm run coverage:differential [-- --runs N] [--seed S] [--executor NAME…] [--keep | --from DIR]`: the line coverage
// of kernel/src/dispatcher/** and kernel/src/executors/** reached by the differential test alone
// (kernel/test/differential/*.test.ts). The tests run with NODE_V8_COVERAGE set, which every process
// they start inherits (dispatcher processes, `valence worker` processes) and which covers worker
// threads too; c8 then maps the compiled files back to the TypeScript sources through the build's
// source maps (a process killed with SIGKILL, as the crash tests do, leaves no data: what it ran is
// not counted). Prints one line per file (least covered first, with its uncovered lines) and the total;
// writes an HTML report and coverage-summary.json to coverage/differential/. `--runs N` runs N plans
// per campaign (VALENCE_FUZZ_RUNS: a long campaign's shapes and no time limits) instead of `npm test`'s.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = fileURLToPath(new URL("..", import.meta.url));
const { values } = parseArgs({
  options: {
    runs: { type: "string" },
    seed: { type: "string" },
    executor: { type: "string", multiple: true },
    keep: { type: "boolean", default: false },
    /** Report from the coverage data a `--keep` run left, without running the tests. */
    from: { type: "string" },
  },
});
const areas = ["dispatcher", "executors"];
const reportDir = join(root, "coverage", "differential");
const raw = values.from ?? mkdtempSync(join(tmpdir(), "valence-coverage-"));

const dir = join(root, "kernel", "test", "differential");
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".test.ts"))
  .map((f) => join("kernel", "test", "differential", f));
const env = { ...process.env, NODE_V8_COVERAGE: raw };
if (values.runs !== undefined) env.VALENCE_FUZZ_RUNS = values.runs;
if (values.seed !== undefined) env.VALENCE_FUZZ_SEED = values.seed;
const pattern = values.executor?.length ? [`--test-name-pattern=${values.executor.join("|")}`] : [];
let status = 0;
if (values.from === undefined) {
  const started = Date.now();
  const run = spawnSync(
    process.execPath,
    [
      "--import",
      "./kernel/dist/register.js",
      "--test",
      "--test-concurrency=1",
      "--test-reporter=spec",
      ...pattern,
      ...files,
    ],
    { cwd: root, stdio: "inherit", env },
  );
  status = run.status ?? 1;
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  console.log(`\ndifferential tests: exit ${run.status ?? run.signal} after ${seconds} s; coverage data in ${raw}`);
}

// Files that hold only types compile to an empty module, never loaded: not counted (--all would
// count every line of their source as uncovered).
const typeOnly = areas.flatMap((area) =>
  readdirSync(join(root, "kernel", "dist", area), { recursive: true })
    .filter((f) => f.endsWith(".js"))
    .map((f) => join("kernel", "dist", area, f))
    .filter((f) => {
      const code = readFileSync(join(root, f), "utf8")
        .replace(/^"use strict";$/m, "")
        .replace(/^Object\.defineProperty\(exports, "__esModule", \{ value: true \}\);$/m, "")
        .replace(/^\/\/# sourceMappingURL=.*$/m, "");
      return code.trim() === "";
    }),
);

// c8 reads every process's and thread's coverage file, keeps the compiled files of the two areas
// (--all: also those no test loaded, at 0%) and maps them to kernel/src through their source maps.
const c8 = spawnSync(
  process.execPath,
  [
    join(root, "node_modules", "c8", "bin", "c8.js"),
    "report",
    `--temp-directory=${raw}`,
    `--reports-dir=${reportDir}`,
    "--reporter=json",
    "--reporter=json-summary",
    "--reporter=html",
    "--all",
    ...areas.flatMap((area) => [`--src=kernel/dist/${area}`, `--include=kernel/dist/${area}/**/*.js`]),
    "--exclude-after-remap=false",
    "--exclude=**/*.d.ts",
    ...typeOnly.map((f) => `--exclude=${f}`),
  ],
  { cwd: root, stdio: "inherit" },
);
if (c8.status !== 0) process.exit(c8.status ?? 1);

/** Istanbul's line coverage: a line's count is its statements' highest. */
function lineCounts(file) {
  const lines = new Map();
  for (const [k, count] of Object.entries(file.s)) {
    const line = file.statementMap[k]?.start.line;
    if (line === undefined) continue;
    lines.set(line, Math.max(lines.get(line) ?? 0, count));
  }
  return lines;
}

/** Uncovered line numbers as ranges: "12-18, 40". */
function ranges(lines) {
  const out = [];
  for (let i = 0; i < lines.length; i++) {
    let j = i;
    while (j + 1 < lines.length && lines[j + 1] === lines[j] + 1) j++;
    out.push(i === j ? `${lines[i]}` : `${lines[i]}-${lines[j]}`);
    i = j;
  }
  return out.join(", ");
}

const coverage = JSON.parse(readFileSync(join(reportDir, "coverage-final.json"), "utf8"));
const rows = [];
for (const [path, file] of Object.entries(coverage)) {
  const name = relative(join(root, "kernel", "src"), path);
  if (!areas.some((area) => name.startsWith(`${area}/`)) || !name.endsWith(".ts")) continue;
  if (!existsSync(path)) continue; // a stale compiled file of a source that is gone
  const lines = lineCounts(file);
  const uncovered = [...lines].filter(([, count]) => count === 0).map(([line]) => line);
  uncovered.sort((a, b) => a - b);
  rows.push({ name, total: lines.size, covered: lines.size - uncovered.length, uncovered });
}
const pct = (covered, total) => (total ? (100 * covered) / total : 100);
rows.sort((a, b) => pct(a.covered, a.total) - pct(b.covered, b.total) || b.uncovered.length - a.uncovered.length);
const width = Math.max(...rows.map((r) => r.name.length));
console.log(`\nline coverage of kernel/src/{${areas.join(",")}} by the differential test alone (least covered first):`);
for (const r of rows) {
  const p = pct(r.covered, r.total).toFixed(1).padStart(5);
  const detail = r.uncovered.length ? `  uncovered: ${ranges(r.uncovered)}` : "";
  console.log(`${r.name.padEnd(width)} ${p}% ${`${r.covered}/${r.total}`.padStart(9)}${detail}`);
}
for (const area of areas) {
  const mine = rows.filter((r) => r.name.startsWith(`${area}/`));
  const covered = mine.reduce((n, r) => n + r.covered, 0);
  const total = mine.reduce((n, r) => n + r.total, 0);
  console.log(`${area}/: ${pct(covered, total).toFixed(1)}% of ${total} lines`);
}
const sum = (list) => [list.reduce((n, r) => n + r.covered, 0), list.reduce((n, r) => n + r.total, 0)];
const [covered, total] = sum(rows);
console.log(`total: ${pct(covered, total).toFixed(1)}% of ${total} lines (${covered} covered)`);
console.log(`not counted (types only): ${typeOnly.map((f) => relative(join("kernel", "dist"), f)).join(", ")}`);
console.log(`report: ${relative(root, join(reportDir, "index.html"))}`);
if (!values.keep && values.from === undefined) rmSync(raw, { recursive: true, force: true });
process.exit(status);
