import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import * as ct from "valence-workflows";
import { temporaryDir, useDispatcher } from "../support/dispatcher.ts";
import { setOriginLocator } from "#src/workflow/serialize/index.js";
import { encodeMappings } from "#src/workflow/serialize/source-map.js";

useDispatcher();

// Every run appends a line to the log: the number of lines is the number of times tasks really ran.
const runs = (log: string): string[] => (existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : []);

const double = ct.electron(function double(log: string, x: number) {
  appendFileSync(log, `double ${x}\n`);
  return x * 2;
});
const doubles = ct.lattice(function doubles(log: string, xs: number[]) {
  return xs.map((x) => double(log, x));
});

test("redispatch with reusePreviousResults takes stored outputs for unchanged nodes and runs only the changed ones", async () => {
  const log = join(temporaryDir(), "runs.log");
  const first = await ct.dispatchSync(doubles)(log, [1, 2, 3]);
  assert.deepEqual(first.result, [2, 4, 6]);
  assert.equal(runs(log).length, 3);

  const same = await ct.getResult<number[]>(await ct.redispatch(first.dispatchId, { reusePreviousResults: true })(), {
    wait: true,
  });
  assert.deepEqual(same.result, [2, 4, 6]);
  assert.equal(runs(log).length, 3, "nothing ran again");
  const tasks = (r: ct.Result) => r.nodes.filter((n) => n.attempts > 0 || n.reused);
  assert.ok(tasks(same).every((n) => n.reused === true));

  const changed = await ct.getResult<number[]>(
    await ct.redispatch(first.dispatchId, { reusePreviousResults: true })(log, [1, 2, 5]),
    {
      wait: true,
    },
  );
  assert.deepEqual(changed.result, [2, 4, 10], String(changed));
  assert.deepEqual(runs(log).slice(3), ["double 5"], "only the node with a new input ran");
  // Each double() call is two parameters and then the electron: electrons are nodes 2, 5 and 8.
  assert.equal((await changed.getNodeResult(8)).reused, false);
  assert.equal((await changed.getNodeResult(2)).reused, true);

  await ct.getResult(await ct.redispatch(first.dispatchId)(), { wait: true });
  assert.equal(runs(log).length, 7, "without reuse, everything runs");
});

test("cache: true reuses a result across dispatches until the electron's code or inputs change", async () => {
  const log = join(temporaryDir(), "cache.log");
  const load = ct.electron(
    function load(file: string, n: number) {
      appendFileSync(file, `load ${n}\n`);
      return n + 100;
    },
    { cache: true },
  );
  const render = (version: string) =>
    ct.electron(
      function render(file: string, value: number) {
        appendFileSync(file, `render ${version}\n`);
        return `${version}:${value}`;
      },
      { cache: true },
    );
  const v1 = render("v1");
  const v2 = ct.electron(
    function render(file: string, value: number) {
      appendFileSync(file, "render edited\n");
      return `edited:${value}`;
    },
    { cache: true },
  );
  const flow = (renderer: typeof v1) =>
    ct.lattice((file: string, n: number) => renderer(file, load(file, n)), { name: "report" });

  assert.equal((await ct.dispatchSync(flow(v1))(log, 1)).result, "v1:101");
  assert.equal((await ct.dispatchSync(flow(v1))(log, 1)).result, "v1:101");
  assert.deepEqual(runs(log), ["load 1", "render v1"], "the second dispatch was all cache hits");

  const edited = await ct.dispatchSync(flow(v2))(log, 1);
  assert.equal(edited.result, "edited:101");
  assert.deepEqual(runs(log).slice(2), ["render edited"], "editing one electron reruns only it");
  assert.equal((await edited.getNodeResult(2)).reused, true, "load (node 2) was a cache hit");

  await ct.dispatchSync(flow(v1))(log, 2);
  assert.deepEqual(runs(log).slice(3), ["load 2", "render v1"], "new inputs run again");
});

test("cache: true still hits when the cell that defines an unchanged electron is run again", async () => {
  const log = join(temporaryDir(), "rerun.log");
  // As the kernel does: each run of the defining cell is a new cell number, so a new origin.
  let cell = 0;
  setOriginLocator(() => ({ file: `cell [${++cell}]`, mappings: encodeMappings([[[0, 0, 0]]]) }));
  try {
    const define = () =>
      ct.electron(
        function measure(file: string, n: number) {
          appendFileSync(file, `measure ${n}\n`);
          return n * 3;
        },
        { cache: true },
      );
    const flow = (measure: ReturnType<typeof define>) => ct.lattice((file: string) => measure(file, 7), { name: "m" });
    assert.equal((await ct.dispatchSync(flow(define()))(log)).result, 21);
    const again = await ct.dispatchSync(flow(define()))(log);
    assert.equal(again.result, 21);
    assert.ok(cell >= 2, "each definition was given its own origin");
    assert.deepEqual(runs(log), ["measure 7"], "the re-defined, unchanged electron was a cache hit");
  } finally {
    setOriginLocator(undefined);
  }
});

const step = ct.electron(function step(log: string, x: number) {
  appendFileSync(log, `step ${x}\n`);
  return x + 1;
});
const finish = ct.electron(function finish(log: string, flag: string, x: number) {
  appendFileSync(log, `finish ${x}\n`);
  if (existsSync(flag)) throw new Error("the flag file is there");
  return x * 10;
});
const inner = ct.electron(
  ct.lattice(function inner(log: string, flag: string, x: number) {
    return finish(log, flag, step(log, x));
  }),
);
const outer = ct.lattice(function outer(log: string, flag: string, x: number) {
  return inner(log, flag, step(log, x));
});

test("redispatch with reusePreviousResults does not run a completed sublattice again", async () => {
  const dir = temporaryDir();
  const log = join(dir, "runs.log");
  const first = await ct.dispatchSync(outer)(log, join(dir, "no-flag"), 1);
  assert.equal(first.result, 30);
  assert.deepEqual(runs(log), ["step 1", "step 2", "finish 3"]);

  const again = await ct.getResult(await ct.redispatch(first.dispatchId, { reusePreviousResults: true })(), {
    wait: true,
  });
  assert.equal(again.status, "COMPLETED", String(again));
  assert.equal(again.result, 30);
  assert.deepEqual(runs(log), ["step 1", "step 2", "finish 3"], "nothing ran again, not even the sublattice's tasks");
  const tasks = again.nodes.filter((n) => n.reused || n.attempts > 0);
  assert.equal(tasks.length, 2, "the step and the sublattice");
  assert.ok(
    tasks.every((n) => n.reused && n.attempts === 0),
    `both are reused: ${JSON.stringify(tasks)}`,
  );

  await ct.dispatchSync(outer)(log, join(dir, "no-flag"), 1);
  assert.equal(runs(log).length, 6, "a fresh dispatch runs everything");
});

test("redispatch with reusePreviousResults after a sublattice failed runs only what did not complete inside it", async () => {
  const dir = temporaryDir();
  const log = join(dir, "runs.log");
  const flag = join(dir, "flag");
  appendFileSync(flag, "");
  const first = await ct.dispatchSync(outer)(log, flag, 1);
  assert.equal(first.status, "FAILED");
  assert.deepEqual(runs(log), ["step 1", "step 2", "finish 3"]);

  rmSync(flag);
  const again = await ct.getResult(await ct.redispatch(first.dispatchId, { reusePreviousResults: true })(), {
    wait: true,
  });
  assert.equal(again.status, "COMPLETED", String(again));
  assert.equal(again.result, 30);
  assert.deepEqual(runs(log).slice(3), ["finish 3"], "only the task that failed ran again");
});
