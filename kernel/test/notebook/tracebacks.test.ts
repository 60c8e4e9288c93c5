// Errors read well in the Valence kernel: a type error names the cell's line and column; a thrown
// error's traceback shows only the user's frames, each at the line and column of the cell's own
// TypeScript (not of the JavaScript it compiled to); an electron failing in the dispatcher — in a
// worker thread or inline — reports its stack at the lines of the cells it was written in.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { KernelClient, type Execution } from "../support/kernel-client.js";
import { useDispatcher } from "../support/dispatcher.js";

useDispatcher();
let kernel: KernelClient;

before(async () => {
  kernel = await KernelClient.start();
});
after(async () => {
  await kernel?.close();
});

/** Runs a cell that must succeed; returns its execution count. */
async function define(code: string): Promise<number> {
  const run = await kernel.execute(code);
  assert.equal(run.reply.status, "ok", JSON.stringify(run.reply));
  return run.reply.execution_count as number;
}

function failure(run: Execution): { count: number; traceback: string[] } {
  assert.equal(run.reply.status, "error", JSON.stringify(run.reply));
  const published = run.outputs.find((m) => m.header.msg_type === "error");
  assert.ok(published, "an iopub error message is published");
  assert.deepEqual(published.content.traceback, run.reply.traceback, "iopub shows the reply's traceback");
  return { count: run.reply.execution_count as number, traceback: run.reply.traceback as string[] };
}

test("a type error names the line and column of the cell's source", async () => {
  const run = await kernel.execute(
    "interface P {\n  x: number;\n}\n\nconst a: P = { x: 1 };\nfunction g(p: P): string {\n  return p.x;\n}",
  );
  const { traceback } = failure(run);
  assert.equal(run.reply.ename, "TypeScript");
  assert.deepEqual(traceback, ["line 7, column 3: Type 'number' is not assignable to type 'string'."]);
});

test("a cell that throws: the traceback is at the cell's own line and column, with no kernel frames", async () => {
  // Types and comments vanish from the compiled code, so its lines differ from the cell's.
  const thrown = failure(
    await kernel.execute(
      "interface Point {\n  x: number;\n}\nconst p: Point = { x: 1 };\nconst values: number[] = [1, 2, 3];\n" +
        '// a comment\nif (p.x > 0) {\n  throw new RangeError("too far: " + values.length);\n}',
    ),
  );
  assert.deepEqual(thrown.traceback, ["RangeError: too far: 3", `    at cell [${thrown.count}]:8:9`]);

  // An import puts the compiler's helpers above the code; top-level await; a builtin frame stays.
  const parsed = failure(
    await kernel.execute(
      'import * as path from "path";\nconst parts: string[] = path.join("a", "b").split("/");\n' +
        'await new Promise((r) => setTimeout(r, 1));\nif (parts.length === 2) {\n  JSON.parse("{" + parts[0]);\n}',
    ),
  );
  assert.deepEqual(parsed.traceback.slice(1), ["    at JSON.parse (<anonymous>)", `    at cell [${parsed.count}]:5:8`]);
  for (const line of [...thrown.traceback, ...parsed.traceback])
    assert.doesNotMatch(line, /node:internal|node:vm|tslab|kernel[\\/]dist|__valence/);
});

test("a function from an earlier cell fails: its frame is at the line of the cell that defined it", async () => {
  const defined = await define(
    'type Op = "div";\nfunction divide(a: number, b: number): number {\n  if (b === 0) {\n' +
      '    throw new Error("division by zero");\n  }\n  return a / b;\n}',
  );
  const called = failure(await kernel.execute("const ok = divide(4, 2);\n  divide(ok, 0);"));
  assert.deepEqual(called.traceback, [
    "Error: division by zero",
    `    at divide (cell [${defined}]:4:11)`,
    `    at cell [${called.count}]:2:3`,
  ]);

  // Capture records (added around functions that use outer variables) do not move columns.
  const mapped = failure(
    await kernel.execute(
      'import * as os from "os";\nconst f = (x: number) => {\n  const n: number = os.cpus().length;\n' +
        '  return [1].map((y) => { if (x) throw new Error("inner " + n); return y; });\n};\nf(1)',
    ),
  );
  const cell = `cell [${mapped.count}]`;
  assert.deepEqual(mapped.traceback.slice(1), [
    `    at ${cell}:4:40`,
    "    at Array.map (<anonymous>)",
    `    at f (${cell}:4:14)`,
    `    at ${cell}:6:1`,
  ]);

  // Across an await, from a function defined by a silent execution (which reuses the last count).
  await kernel.execute('async function load(n: number) {\n  await null;\n  throw new Error("load " + n);\n}', {
    silent: true,
  });
  const loaded = failure(await kernel.execute("const v = 1;\nawait load(v);"));
  assert.equal(loaded.traceback.length, 3, loaded.traceback.join("\n"));
  assert.match(loaded.traceback[1]!, /^ {4}at load \(cell \[\d+\.2\]:3:9\)$/);
  assert.equal(loaded.traceback[2], `    at async cell [${loaded.count}]:2:1`);
});

test("an electron failing in the dispatcher reports its stack at the lines of its cells", async () => {
  const helpers = await define(
    'import * as ct from "valence-workflows";\nfunction check(value: number): number {\n  if (Number.isNaN(value)) {\n' +
      '    throw new Error("not a number");\n  }\n  return value;\n}',
  );
  const electrons = await define(
    "const parse = ct.electron(\n  function parse(text: string): number {\n    const value: number = Number(text);\n" +
      "    return check(value);\n  },\n);\n" +
      "const parseInline = ct.electron(function parseInline(text: string) {\n  type T = string;\n" +
      '  if (text === "x") throw new TypeError("bad " + (text as T));\n  return 1;\n}, { executor: "inline" });\n' +
      "const parseAll = ct.lattice(function parseAll(t: string) { return [parse(t), parseInline(t)]; });",
  );
  const run = await kernel.execute(
    'const parsed = await ct.getResult(await ct.dispatch(parseAll)("x"), { wait: true });\n' +
      "console.log(JSON.stringify({\n  dispatch: parsed.error,\n  nodes: await Promise.all(\n" +
      '    parsed.nodes.filter((n) => n.status === "FAILED").map(async (n) => (await parsed.getNodeResult(n.id)).error),\n' +
      "  ),\n}));",
  );
  assert.equal(run.reply.status, "ok", JSON.stringify(run.reply));
  const printed = run.outputs
    .filter((m) => m.header.msg_type === "stream" && m.content.name === "stdout")
    .map((m) => String(m.content.text))
    .join("");
  const { dispatch, nodes } = JSON.parse(printed) as {
    dispatch: { stack?: string };
    nodes: Array<{ name: string; message: string; stack?: string }>;
  };
  const stacks = Object.fromEntries(nodes.map((error) => [error.message, error.stack]));
  // The local executor (a worker thread): the electron's frame, and the helper it called from an earlier cell.
  assert.equal(
    stacks["not a number"],
    `Error: not a number\n    at check (cell [${helpers}]:4:11)\n    at parse (cell [${electrons}]:4:12)`,
  );
  // The inline executor (the dispatcher's own event loop).
  assert.equal(stacks["bad x"], `TypeError: bad x\n    at parseInline (cell [${electrons}]:9:27)`);
  // The dispatch's own error carries the failing node's stack.
  assert.ok(Object.values(stacks).includes(dispatch.stack), JSON.stringify(dispatch));
});
