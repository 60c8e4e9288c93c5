// README.md's TypeScript fragments that use names they do not define (`square`, `trainFn`, a `flow`
// dispatched before…): each runs as written through `npx valence run`, between a prelude that defines
// those names with small real functions and an epilogue that dispatches what the fragment built and
// prints what the README says it does. A fragment is found by a line of it, so one that changes
// makes its test fail until its prelude follows.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { temporaryDir } from "../support/dispatcher.js";

const root = join(import.meta.dirname, "..", "..", "..");
const readme = readFileSync(join(root, "README.md"), "utf8");
const dataDir = temporaryDir("valence-readme-fragments-");
const cacheDir = temporaryDir("valence-readme-fragments-cache-");
const scratch = join(root, ".valence", "readme-fragments-test");
const markers: string[] = [];

/** The ```ts block that holds `line`. */
function fragment(line: string): string {
  const found = [...readme.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].filter((match) => match[1]!.includes(line));
  assert.equal(found.length, 1, `one README block holds ${JSON.stringify(line)}`);
  return found[0]![1]!;
}

const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("VALENCE_")));
const env = {
  ...clean,
  VALENCE_DATA_DIR: dataDir,
  // deps.npm installs here, with npm's cache alone: the registry is not reached.
  VALENCE_CACHE_DIR: cacheDir,
  npm_config_offline: "true",
};

/** `npx valence run` of prelude + the block + epilogue, in the repository (where "valence-workflows" resolves). */
function run(name: string, prelude: string, block: string, epilogue: string): string {
  mkdirSync(scratch, { recursive: true });
  const file = join(scratch, `${name}.ts`);
  writeFileSync(file, `${prelude.trim()}\n// ---- README ----\n${block}// ---- README ----\n${epilogue.trim()}\n`);
  const ran = spawnSync("sh", ["-c", `npx valence run ${name}.ts`], {
    cwd: scratch,
    encoding: "utf8",
    env,
    timeout: 120_000,
  });
  assert.equal(ran.status, 0, `${ran.stdout}\n${ran.stderr}`);
  return ran.stdout;
}

after(() => {
  spawnSync("sh", ["-c", "npx valence stop"], { cwd: root, env, timeout: 30_000 });
  for (const dir of [scratch, cacheDir, dataDir, ...markers]) rmSync(dir, { recursive: true, force: true });
});

test('README "The workflow model": the deps.npm electron installs is-number@7.0.0 (offline, from npm\'s cache) and uses it', () => {
  const out = run(
    "deps",
    'import * as ct from "valence-workflows";',
    fragment('{ deps: { npm: ["is-number@7.0.0"] } }'),
    `const flow = ct.lattice(function flow(a: unknown, b: unknown) { return [check(a), check(b)]; });
console.log("result", JSON.stringify((await ct.dispatchSync(flow)(5, "five")).result));`,
  );
  assert.match(out, /^result \[true,false\]$/m);
});

test('README "Dispatching": the sublattice fragment builds its loop at run time', () => {
  const out = run(
    "sublattice",
    `import * as ct from "valence-workflows";
const square = ct.electron((i: number) => i * i, { name: "square" });
const howMany = ct.electron((seed: number) => seed + 1, { name: "howMany" });`,
    fragment("const dynamic = ct.lattice("),
    'console.log("result", JSON.stringify((await ct.dispatchSync(dynamic)(3)).result));',
  );
  assert.match(out, /^result \[0,1,4,9\]$/m);
});

test('README "Dispatching": redispatch with reusePreviousResults, and a cache: true electron reused across dispatches', () => {
  const out = run(
    "reuse",
    `import * as ct from "valence-workflows";
const stable = ct.electron(() => 7, { name: "stable" });
const inc = ct.electron((n: number) => n + 1, { name: "inc" });
const flow = ct.lattice(function flow(n: number) { return [stable(), inc(n)]; });
const id = await ct.dispatch(flow)(1);
await ct.getResult(id, { wait: true });
const newArgs = 2;
const loadFn = (name: string) => name.toUpperCase();`,
    fragment("reusePreviousResults: true"),
    `const loading = ct.lattice(function loading(name: string) { return load(name); });
await ct.dispatchSync(loading)("data");
const again = await ct.dispatchSync(loading)("data");
console.log("result", again.result, "reused", again.nodes.filter((node) => node.reused).length);`,
  );
  assert.match(out, /^result DATA reused 1$/m);
});

test('README "Dispatching": the volume fragment writes note.txt into the named volume', () => {
  const out = run(
    "volume",
    `import * as ct from "valence-workflows";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
const flow = ct.lattice(function flow(text: string) { return save(text); });`,
    fragment('ct.volume("team-data")'),
    `const note = join(process.env.VALENCE_DATA_DIR!, "volumes", "team-data", "note.txt");
while (!existsSync(note)) await new Promise((resolve) => setTimeout(resolve, 50));
console.log("note", readFileSync(note, "utf8"));`,
  );
  assert.match(out, /^note hello$/m);
});

test('README "Dispatching": the resources, hooks and ct.wait fragment runs, seed after clean', () => {
  // clean leaves a file as it ends; seed says whether it finds it.
  const markerDir = temporaryDir("valence-readme-wait-");
  markers.push(markerDir);
  const marker = join(markerDir, "cleaned");
  const out = run(
    "wait",
    `import * as ct from "valence-workflows";
import { existsSync, writeFileSync } from "node:fs";
const marker = ${JSON.stringify(marker)};
const trainFn = (data: string) => \`trained on \${data}\`;
const clean = ct.electron((data: string) => (writeFileSync(marker, ""), data.trim()), { name: "clean" });
const seed = ct.electron(() => existsSync(marker), { name: "seed" });`,
    fragment("ct.wait(seeded, [cleaned])"),
    `const result = await ct.dispatchSync(flow)("  rows ");
const graph = flow.build("  rows ").toJSON() as { nodes: Array<{ id: number; name: string }> };
const seedId = graph.nodes.find((node) => node.name === "seed")!.id;
console.log("result", result.result, "seed saw clean done", (await result.getNodeResult(seedId)).output);`,
  );
  assert.match(out, /^result trained on rows seed saw clean done true$/m);
});

test('README "The workflow model": the ct.shell fragment counts lines and lists files', () => {
  const dir = temporaryDir("valence-readme-shell-");
  markers.push(dir);
  for (const name of ["a.txt", "b.txt"]) writeFileSync(join(dir, name), "one\ntwo\nthree\n");
  const out = run(
    "shell",
    'import * as ct from "valence-workflows";',
    fragment("const countLines = ct.shell("),
    `const result = await ct.dispatchSync(survey)(${JSON.stringify(dir)}, ${JSON.stringify(join(dir, "a.txt"))});
console.log("result", result.result);`,
  );
  assert.match(out, /^result 2 files, 3 lines$/m);
});

test('README "Dispatching": the triggers fragment attaches a cron and a directory trigger, lists them and stops one', () => {
  const dir = temporaryDir("valence-readme-triggers-");
  markers.push(dir);
  const out = run(
    "triggers",
    `import * as ct from "valence-workflows";
import { mkdirSync } from "node:fs";
process.chdir(${JSON.stringify(dir)});
mkdirSync("incoming");
const inc = ct.electron((x: number) => x + 1, { name: "inc" });
const report = ct.lattice(function report(n: number) { return inc(n); });
const args = 1;`,
    fragment("ct.timeTrigger({ cron:"),
    `const left = await ct.listTriggers({ dispatchId: nightly.id });
console.log("stopped", cron.trigger.kind, "running", left.map((t) => t.trigger.kind).join(","));
for (const t of left) await ct.stopTrigger(t.id);`,
  );
  assert.match(out, /^stopped time running dir$/m);
});
