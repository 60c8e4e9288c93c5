// `npm run fuzz:requests -- [--per-route N] [--ws M] [--seed S] [--snapshots DIR]`: the long run of the
// hostile-input fuzzer (kernel/test/hostile/request-fuzz.test.ts; npm test runs a short one): N mutated
// requests per route (default 10,000) and M websocket messages (default 10,000) against a real
// dispatcher process, with progress, judged on the dispatcher's heap after a forced GC (flat: the last
// quarter's within 4 MB + 5% of the first quarter's, after warm-up). --snapshots DIR writes heap
// snapshots after warm-up, halfway and at the end, to compare (DevTools' Memory tab, Comparison view);
// RSS is then no guide: a snapshot costs native memory that stays (from the first one V8's heap profiler
// keeps an id for every object, and malloc keeps what it freed).
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = fileURLToPath(new URL("..", import.meta.url));
const { values } = parseArgs({
  options: {
    "per-route": { type: "string", default: "10000" },
    ws: { type: "string", default: "10000" },
    seed: { type: "string" },
    snapshots: { type: "string" },
  },
});
const env = {
  ...process.env,
  VALENCE_HOSTILE_FUZZ: values["per-route"],
  VALENCE_HOSTILE_FUZZ_WS: values.ws,
  VALENCE_HOSTILE_FUZZ_PROGRESS: "1",
};
if (values.seed !== undefined) env.VALENCE_HOSTILE_FUZZ_SEED = values.seed;
if (values.snapshots !== undefined) {
  env.VALENCE_HOSTILE_FUZZ_SNAPSHOTS = resolve(values.snapshots);
  mkdirSync(env.VALENCE_HOSTILE_FUZZ_SNAPSHOTS, { recursive: true });
}
// The file itself, not `node --test`: its progress lines then reach the terminal as they are written.
const run = spawnSync(
  process.execPath,
  ["--import", "./kernel/dist/register.js", "kernel/test/hostile/request-fuzz.test.ts"],
  { cwd: root, stdio: "inherit", env },
);
process.exit(run.status ?? 1);
