// `npm run fuzz -- [--executor inline|local|bullmq|plugin|crash|reuse|runLocal] [--runs N] [--seed S] [--parallel K]`: a long
// differential campaign (kernel/test/differential): N random lattices per executor (default 1,000)
// compared with the reference model, with progress (K plans dispatched at once; default: the test's);
// a failure prints its seed and the smallest plans.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = fileURLToPath(new URL("..", import.meta.url));
const { values } = parseArgs({
  options: {
    executor: { type: "string", multiple: true },
    runs: { type: "string", default: "1000" },
    seed: { type: "string" },
    parallel: { type: "string" },
  },
});
const dir = join(root, "kernel", "test", "differential");
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".test.ts"))
  .map((f) => join("kernel", "test", "differential", f));
const env = { ...process.env, VALENCE_FUZZ_RUNS: values.runs };
if (values.seed !== undefined) env.VALENCE_FUZZ_SEED = values.seed;
if (values.parallel !== undefined) env.VALENCE_FUZZ_PARALLEL = values.parallel;
const pattern = values.executor?.length ? [`--test-name-pattern=${values.executor.join("|")}`] : [];
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
process.exit(run.status ?? 1);
