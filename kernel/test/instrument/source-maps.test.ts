import { test } from "node:test";
import assert from "node:assert/strict";
import { instrumentWithInserts } from "#src/instrument/index.js";
import { inlineMappings, withInstrumentMap } from "#src/loader/source-maps.js";
import { transpile } from "#src/loader/transform.js";
import { findSegment } from "#src/workflow/serialize/source-map.js";

/** The original 0-based line and column the running code's `needle` maps to. */
function mapped(code: string, needle: string): [number, number] {
  const at = code.indexOf(needle);
  const line = code.slice(0, at).split("\n").length - 1;
  const column = at - (code.lastIndexOf("\n", at - 1) + 1);
  const segment = findSegment(inlineMappings(code)!, line, column)!;
  return [segment[1], segment[2]];
}

test("a JavaScript file the loader instrumented gets a map: tokens after the added text keep their columns", () => {
  const code =
    "const base = 2;\nexport const f = (x) => { return helper(x) * base; };\nfunction helper(x) { return x + base; }\n";
  const { code: instrumented, inserts } = instrumentWithInserts(code, { fileName: "/p/flow.js" });
  assert.ok(inserts.length);
  const out = withInstrumentMap(code, instrumented, inserts, "/p/flow.js");
  assert.deepEqual(mapped(out, "helper(x) *"), [1, 33]);
  assert.deepEqual(mapped(out, "base; }"), [1, 45]);
  assert.equal(
    withInstrumentMap("const a = 1;\n", "const a = 1;\n", [], "/p/a.js"),
    "const a = 1;\n",
    "unchanged code, no map",
  );
});

test("TypeScript's map is moved by what the instrumenter added, so it still reaches the .ts columns", () => {
  const source =
    "const base: number = 2;\nexport const f = (x: number): number => { return helper(x) * base; };\nfunction helper(x: number) { return x + base; }\n";
  const javascript = transpile(source, "/p/flow.ts", "module");
  const { code: instrumented, inserts } = instrumentWithInserts(javascript, { fileName: "/p/flow.ts" });
  const out = withInstrumentMap(javascript, instrumented, inserts, "/p/flow.ts");
  assert.deepEqual(mapped(out, "helper(x) *"), [1, source.split("\n")[1]!.indexOf("helper(x)")]);
  assert.match(out, /\/\/# sourceMappingURL=data:application\/json;base64,/);
  assert.equal(out.match(/sourceMappingURL/g)!.length, 1, "one map, replaced in place");
});
