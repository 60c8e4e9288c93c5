// A function's origin travels with it: the source-map codec round-trips, and a rebuilt function's
// stack frames come back at the lines and columns of where it was written.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { rebuildFunction, serializeFunction, setOriginLocator, mapStack } from "#src/workflow/serialize/index.js";
import { decodeMappings, encodeMappings, findSegment } from "#src/workflow/serialize/source-map.js";

after(() => setOriginLocator(undefined));

test("mappings round-trip through base64 VLQ, and a position finds the segment that covers it", () => {
  const lines = [[[0, 10, 2] as const, [9, 11, 0] as const], [], [[4, 3, 40] as const]];
  const text = encodeMappings(lines);
  assert.deepEqual(decodeMappings(text), lines);
  assert.deepEqual(findSegment(lines, 0, 8), [0, 10, 2]);
  assert.deepEqual(findSegment(lines, 0, 30), [9, 11, 0]);
  assert.equal(findSegment(lines, 1, 0), undefined);
  // What TypeScript writes: names (a 5th field) are skipped, other sources than the first dropped.
  assert.deepEqual(decodeMappings("AAAAA,EAAE;ACAA"), [
    [
      [0, 0, 0],
      [2, 0, 2],
    ],
    [],
  ]);
});

test("a rebuilt function with an origin fails with frames at the origin's lines and columns", async () => {
  function thrower(n: number): number {
    if (n > 1) {
      throw new RangeError(`too big: ${n}`);
    }
    return n;
  }
  // As the kernel would answer: the source's line i is the cell's line 6 + i; its `new` is at column 13.
  const source = thrower.toString();
  const throwLine = source.split("\n").findIndex((line) => line.includes("throw new"));
  const column = source.split("\n")[throwLine]!.indexOf("new");
  setOriginLocator((fn) =>
    fn === thrower
      ? {
          file: "cell [7]",
          mappings: encodeMappings(
            source.split("\n").map((_, i) =>
              i === throwLine
                ? [
                    [0, 5 + i, 0],
                    [column, 5 + i, 12],
                  ]
                : [[0, 5 + i, 0]],
            ),
          ),
        }
      : undefined,
  );
  const spec = JSON.parse(JSON.stringify(serializeFunction(thrower)));
  assert.equal(spec.functions[0].origin.file, "cell [7]");
  const rebuilt = (await rebuildFunction(spec)) as typeof thrower;
  assert.equal(rebuilt(1), 1);
  let stack = "";
  try {
    rebuilt(2);
  } catch (error) {
    stack = mapStack((error as Error).stack!);
  }
  assert.equal(stack.split("\n")[1], `    at thrower (cell [7]:${6 + throwLine}:13)`);
  // Sent again (a sublattice built where it was rebuilt, a redispatch), it keeps the origin it came with.
  assert.deepEqual(serializeFunction(rebuilt).functions[0]!.origin, spec.functions[0].origin);
  // A function without an origin (written in no cell and no file the loader ran) has none.
  setOriginLocator(undefined);
  const plain = serializeFunction(new Function("x", "return x + 1;") as (x: number) => number);
  assert.equal(plain.functions[0]!.origin, undefined);
});
