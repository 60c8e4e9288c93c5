// Content keys: equal arguments make the same key however v8 holds them; unequal ones do not.
import { test } from "node:test";
import assert from "node:assert/strict";
import { contentKeyOfValues } from "#src/dispatcher/content-key.js";

const key = (...args: unknown[]): string => contentKeyOfValues("electron", args);

test("equal arguments make one key: numbers held as ints or doubles, strings one-byte or two-byte", () => {
  const doubles = [0.5];
  doubles[0] = 42; // a double array keeps writing 42 as a double
  assert.equal(key({ m: doubles }), key({ m: [42] }));
  const twoByte = "é€".slice(0, 1); // a one-character slice of a two-byte string
  assert.equal(key(twoByte, 1), key("é", 1));
  assert.equal(key({ s: twoByte }), key({ s: "é" }));
});

test("unequal arguments make other keys", () => {
  const keys = [
    key(1),
    key("1"),
    key([1]),
    key({ 0: 1 }),
    key([1, 2]),
    key([, 1]), // a hole is not undefined
    key([undefined, 1]),
    key(new Map([[1, 2]])),
    key(new Set([1, 2])),
    key(-0),
    key(0),
    key(new Uint8Array([1, 2])),
    key(new Float32Array([1, 2])),
    key({ a: 1, b: 2 }),
    key({ b: 2, a: 1 }),
    key(1, 2),
    key([1, 2], undefined),
  ];
  assert.equal(new Set(keys).size, keys.length);
  const shared = { x: 1 };
  assert.notEqual(key([shared, shared]), key([{ x: 1 }, { x: 1 }]), "a shared reference is not a copy");
});
