// What a user saw with `cache: true`: the electron ran again for an input equal to the one it had
// cached. The dispatcher re-encodes an input it has decoded, and v8 writes a whole number as an int or
// as a double depending on how the engine holds it: in an object whose shape once held a fraction in
// that field (any earlier value of that shape, in any dispatch), as a double. The bytes, and so the
// content key, changed with the dispatcher's history. Content keys are now made from the values.
import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as ct from "valence-workflows";
import { temporaryDir, useDispatcher } from "../support/dispatcher.ts";

useDispatcher();

const measure = ct.electron(function measure(x: number) {
  return { cacheTestValue: x, cacheTestLabel: "m" };
});
const expensive = ct.electron(
  function expensive(log: string, m: { cacheTestValue: number }) {
    appendFileSync(log, "ran\n");
    return m.cacheTestValue * 2;
  },
  { cache: true },
);
const show = ct.electron(function show(m: { cacheTestValue: number }) {
  return String(m.cacheTestValue);
});

test("a cache: true electron is reused for an equal input after the dispatcher has seen a fraction in that field", async () => {
  const log = join(temporaryDir(), "log");
  const wf = ct.lattice(function cachedAfterMeasure(log: string, x: number) {
    return expensive(log, measure(x));
  });
  const first = await ct.dispatchSync(wf)(log, 42);
  // A value of the same shape holding a fraction, decoded by the dispatcher to pass it on.
  const fraction = await ct.dispatchSync(ct.lattice((x: number) => show(measure(x))))(0.5);
  const second = await ct.dispatchSync(wf)(log, 42);
  assert.deepEqual(
    [first.status, fraction.status, second.status],
    ["COMPLETED", "COMPLETED", "COMPLETED"],
    String(second),
  );
  assert.deepEqual([first.result, second.result], [84, 84]);
  assert.equal(readFileSync(log, "utf8"), "ran\n", "the second dispatch reused the first's output");
  assert.equal(second.nodes.filter((n) => n.reused).length, 1);
});
