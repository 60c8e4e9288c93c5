import { test } from "node:test";
import assert from "node:assert/strict";
import { freeVariables, instrument, topLevelBindings } from "#src/instrument/index.js";
import { captureOf } from "#src/workflow/serialize/index.js";

/** Evaluates instrumented ES module code and returns its exports. */
async function load(code: string): Promise<Record<string, unknown>> {
  const url = `data:text/javascript;base64,${Buffer.from(instrument(code)).toString("base64")}`;
  return (await import(url)) as Record<string, unknown>;
}

test("functions record their free variables: values by thunk, imports by specifier", async () => {
  const mod = await load(`
    import * as path from "node:path";
    const table = { a: 1 };
    export function helper() { return table.a + path.sep.length; }
    export const arrow = (x) => x + table.a;
    export const pure = (x) => x * 2;`);
  const capture = captureOf(mod.helper as object)!;
  assert.deepEqual(Object.keys(capture.thunks), ["table"]);
  assert.deepEqual(capture.thunks.table!(), { a: 1 });
  assert.deepEqual(capture.imports, { path: { specifier: "node:path", export: "*" } });
  assert.deepEqual(Object.keys(captureOf(mod.arrow as object)!.thunks), ["table"]);
  assert.equal(captureOf(mod.pure as object), undefined, "no free variables, nothing recorded");
});

test("instrumented code behaves the same: hoisting, TDZ, this, arguments, generators, async, classes", async () => {
  const mod = await load(`
    const base = 10;
    export const early = hoisted(1);
    function hoisted(x) { return x + base; }
    export function args() { return [...arguments].length + base; }
    export function* gen() { yield base; yield base + 1; }
    export async function later() { await null; return base * 2; }
    export class Counter { constructor() { this.n = base; } inc() { return ++this.n; } }
    export const obj = { v: base, get() { return (() => this.v)(); } };
    export let tdz;
    try { useBefore(); } catch (e) { tdz = e.constructor.name; }
    function useBefore() { return declaredLater; }
    const declaredLater = base;
    export default function () { return typeof this + base; }
    export function outer() { "use strict"; function inner() { return base; } return inner(); }`);
  assert.equal(mod.early, 11);
  assert.equal((mod.args as (...a: number[]) => number)(1, 2, 3), 13);
  assert.deepEqual([...(mod.gen as () => Iterable<number>)()], [10, 11]);
  assert.equal(await (mod.later as () => Promise<number>)(), 20);
  assert.equal(new (mod.Counter as new () => { inc(): number })().inc(), 11);
  assert.equal((mod.obj as { get(): number }).get(), 10);
  assert.equal(mod.tdz, "ReferenceError");
  const detached = mod.default as () => string;
  assert.equal(detached(), "undefined10");
  assert.equal((mod.outer as () => number)(), 10);
  assert.ok(captureOf(mod.Counter as object), "classes record their free variables too");
});

test("a hoisted function's record goes after the body's directives, which stay first", () => {
  const out = instrument(
    'const base = 1;\nexport function outer() { "use strict"; function inner() { return base; } return inner(); }',
  );
  assert.match(
    out,
    /function outer\(\) \{ "use strict";;__valence_capture__\(inner, \{ base: \(\) => base \}, \{\}\);/,
  );
});

test("nested functions each record their own variables, and lines are never added", () => {
  const source = "const k = 1;\nexport const f = (a) => (b) => a + b + k;\n";
  const out = instrument(source);
  assert.equal(out.split("\n").length, source.split("\n").length);
  assert.match(
    out,
    /__valence_capture__\(\{ "f": \(a\) => __valence_capture__\(\(b\) => a \+ b \+ k, \{ a: \(\) => a, k: \(\) => k \}, \{\}\) \}\["f"\], \{ k: \(\) => k \}, \{\}\)/,
  );
});

test("relative imports are recorded as absolute file URLs; require() calls as requires", () => {
  const out = instrument(
    `import { x } from "./dep.js";\nconst fs = require("node:fs");\nexport const f = () => x + fs.sep;`,
    {
      fileName: "/work/project/flow.ts",
    },
  );
  assert.match(out, /"x":\{"specifier":"file:\/\/\/work\/project\/dep\.js","export":"x"\}/);
  assert.match(out, /"fs":\{"specifier":"node:fs","export":"="\}/);
});

test("a module's imports and literal import() calls record which module each namespace is, on the same lines", async () => {
  const code = [
    `import * as path from "node:path";`,
    `import { sep as separator } from "node:path";`,
    `import type { Foo } from "./types.js";`,
    `export const util = await import("node:util");`,
    `const dynamic = "node:os";`,
    `export const os = await import(dynamic);`,
    `export const inner = async () => [separator, await import("./dep.js")];`,
  ].join("\n");
  const out = instrument(code, { fileName: "/work/project/flow.ts" });
  assert.equal(out.split("\n").length, code.split("\n").length, "no line added");
  assert.match(
    out,
    /;__valence_module__\(\{ path: \(\) => path, separator: \(\) => separator \}, \{"path":\{"specifier":"node:path","export":"\*"\},"separator":\{"specifier":"node:path","export":"sep"\}\}\);/,
  );
  assert.doesNotMatch(out, /Foo: \(\)/, "type-only imports bind nothing");
  assert.match(out, /await __valence_import__\(import\("node:util"\), \{"specifier":"node:util","export":"\*"\}\)/);
  assert.match(out, /await import\(dynamic\)/, "a computed specifier is left alone");
  assert.match(
    out,
    /__valence_import__\(import\("\.\/dep\.js"\), \{"specifier":"file:\/\/\/work\/project\/dep\.js","export":"\*"\}\)/,
  );
  const mod = await load(
    code
      .split("\n")
      .slice(0, 2)
      .concat('export const util = await import("node:util");', "export { path };")
      .join("\n"),
  );
  const { moduleReference } = await import("#src/workflow/serialize/modules.js");
  assert.deepEqual(moduleReference(mod.util as object), { specifier: "node:util", export: "*" });
  assert.deepEqual(moduleReference(mod.path as object), { specifier: "node:path", export: "*" });
});

test("a notebook cell's references to earlier cells (exports.name) travel, imported names by specifier", () => {
  // What tslab compiles `const f = () => fromEarlierCell(ct) + Math.PI` to, when both names come from earlier cells.
  const code = "const f = () => exports.fromEarlierCell(exports.ct, exports['computed']) + Math.PI;\nexports.f = f;";
  assert.doesNotMatch(instrument(code), /__valence_capture__/);
  const out = instrument(code, {
    cellExports: {
      object: "exports",
      imports: (name) => (name === "ct" ? { specifier: "valence-workflows", export: "*" } : undefined),
    },
  });
  assert.match(out, /\{ "exports\.fromEarlierCell": \(\) => exports\.fromEarlierCell \}/);
  assert.match(out, /"exports\.ct":\{"specifier":"valence-workflows","export":"\*"\}/);
  assert.doesNotMatch(out, /"exports\.computed"/, "computed members are not captured");
});

test("TypeScript's interop helpers around require are imports, and a cell's top-level imports are listed", () => {
  const out = instrument(
    'const path_1 = __importDefault(require("path"));\nconst ct = __importStar(require("valence-workflows"));\n' +
      "const f = () => path_1.default.join(ct.x);",
  );
  assert.match(out, /"path_1":\{"specifier":"path","export":"=default"\}/);
  assert.match(out, /"ct":\{"specifier":"valence-workflows","export":"=\*"\}/);
  const { imports, declared } = topLevelBindings(
    'import * as ct from "valence-workflows";\nimport p, { join as j, type X } from "path";\nimport type { Y } from "y";\n' +
      'import fs = require("fs");\nconst z = 1, { w } = { w: 2 };\nfunction g() {}\nclass K {}\ntype T = 1;',
  );
  assert.deepEqual([...declared].sort(), ["K", "g", "w", "z"]);
  assert.deepEqual(Object.fromEntries(imports), {
    ct: { specifier: "valence-workflows", export: "*" },
    p: { specifier: "path", export: "default" },
    j: { specifier: "path", export: "join" },
    fs: { specifier: "fs", export: "=" },
  });
});

test("functions keep the names JavaScript infers for them, and anonymous default exports are recorded", async () => {
  const mod = await load(`
    const k = 1;
    export const arrow = () => k;
    export const Klass = class { get() { return k; } };
    export const obj = { method: () => k, "quoted key": function () { return k; } };
    export let assigned; assigned = () => k;
    export function withDefault(fallback = () => k) { return fallback; }
    export class Fields { static field = () => k; #hidden = () => k; hidden() { return this.#hidden; } }
    export default function () { return k; }`);
  const obj = mod.obj as Record<string, () => number>;
  const names = [
    (mod.arrow as () => number).name,
    (mod.Klass as () => number).name,
    obj.method!.name,
    obj["quoted key"]!.name,
    (mod.assigned as () => number).name,
    (mod.withDefault as () => () => number)().name,
    (mod.Fields as unknown as { field: () => number }).field.name,
    new (mod.Fields as new () => { hidden(): () => number })().hidden().name,
    (mod.default as () => number).name,
  ];
  assert.deepEqual(names, [
    "arrow",
    "Klass",
    "method",
    "quoted key",
    "assigned",
    "fallback",
    "field",
    "#hidden",
    "default",
  ]);
  assert.ok(captureOf(mod.arrow as object) && captureOf(mod.default as object), "both recorded");
  assert.equal((mod.default as () => number)(), 1);
});

test('a script\'s "use strict" directive stays first, so the script stays strict', () => {
  const out = instrument('"use strict";\nfunction f() { return k; }\nconst k = 1;\n');
  assert.match(out, /^"use strict";;__valence_capture__\(f, /);
  const thisInPlainCall = new Function(`${out}; return (function () { return this; })();`) as () => unknown;
  assert.equal(thisInPlainCall(), undefined);
});

test("freeVariables names what a function uses from outside, not globals, its own name or types", () => {
  assert.deepEqual(freeVariables("function f(n) { return n ? f(n - 1) : Math.max(table.a, limit); }"), [
    "table",
    "limit",
  ]);
  assert.deepEqual(freeVariables("run(x) { console.log(x); return helper(x); }"), ["helper"]);
  assert.deepEqual(freeVariables("(a) => a + zz"), ["zz"]);
  assert.deepEqual(freeVariables("class X extends Base { m() { return X && q; } }"), ["Base", "q"]);
  assert.deepEqual(freeVariables("function f(x: Foo): Bar { const y: Baz = x; return y as Qux; }"), []);
  assert.deepEqual(freeVariables("not a function ("), []);
});

test("code that does not parse is returned unchanged", () => {
  assert.equal(instrument("const = ;"), "const = ;");
});
