// Task arguments joined from their inputs' v8 bytes: they decode to the arguments; equal arguments
// make equal bytes however their numbers were held (content keys hash them); and where v8 itself has
// one way to write the array they are its bytes, so content keys stored before still match.
// Outputs read without a deserializer read as deserialize reads them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { deserialize, serialize } from "node:v8";
import { joinArguments, readValue } from "#src/dispatcher/argument-bytes.js";

const bytesOf = (values: readonly unknown[]): Uint8Array[] => values.map((value) => serialize(value));
const show = (values: readonly unknown[]): string => values.map((v) => (Object.is(v, -0) ? "-0" : String(v))).join(",");

test("arrays v8 writes one way (ints, fractions, strings and others) join to v8.serialize's bytes", () => {
  const cases: unknown[][] = [
    [],
    [0],
    [42, -7, 2 ** 30 - 1, -(2 ** 30)],
    [0.5, 2 ** 32, -0, NaN, -Infinity],
    ["", "name", "café", "x".repeat(1000)],
    [true, false, null, undefined],
    [3, "a", true, null],
    Array.from({ length: 200 }, (_, i) => i * 1000),
  ];
  for (const values of cases) {
    const joined = joinArguments(bytesOf(values));
    assert.ok(joined, `joins ${show(values)}`);
    assert.deepEqual(Buffer.from(joined), serialize(values), `bytes of ${show(values)}`);
  }
});

test("joined arguments decode to the arguments, and equal arguments make equal bytes", () => {
  // The same numbers held as ints or as doubles: v8.serialize of an array may write them either way.
  const asDoubles = (values: number[]): Uint8Array[] => {
    const doubles = [0.5, ...values]; // an array of doubles: each element read from it is a double
    return doubles.slice(1).map((value) => serialize(value));
  };
  let seed = 7;
  const random = (): number => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
  const pick = (): unknown => {
    const r = random();
    const kinds = [
      () => Math.floor(r * 2 ** 33) - 2 ** 32,
      () => Math.floor(r * 200) - 100,
      () => r * 1e6,
      () => String(r).slice(0, Math.floor(r * 10)),
      () => r < 0.5,
      () => (r < 0.5 ? null : undefined),
      () => (r < 0.5 ? -0 : 2 ** 30),
    ];
    return kinds[Math.floor(random() * kinds.length)]!();
  };
  for (let run = 0; run < 2000; run++) {
    const values = Array.from({ length: Math.floor(random() * 6) }, pick);
    const joined = joinArguments(bytesOf(values));
    assert.ok(joined, show(values));
    const decoded = deserialize(joined) as unknown[];
    assert.equal(decoded.length, values.length);
    values.forEach((value, i) => assert.ok(Object.is(decoded[i], value), `${show(values)} [${i}]`));
    const numbers = values.filter((v): v is number => typeof v === "number");
    if (numbers.length === values.length) {
      assert.deepEqual(joinArguments(asDoubles(numbers)), joined, `${show(values)} held as doubles`);
    }
  }
});

test("arguments that need the serializer are not joined", () => {
  // Objects carry ids and two-byte strings alignment: both only make sense in the whole message.
  for (const values of [[{ a: 1 }], [[1, 2]], ["∑"], [new Date(0)], [10n], [1, { a: 1 }]]) {
    assert.equal(joinArguments(bytesOf(values)), undefined, show(values));
  }
});

test("an output is read as deserialize reads it", () => {
  for (const value of [0, 1, -1, 2 ** 30 - 1, -(2 ** 30), 2 ** 31, 1.25, -0, NaN, true, false, null, undefined]) {
    assert.ok(Object.is(readValue(serialize(value)), value), String(value));
  }
  for (const value of ["text", { a: [1, 2] }, [1, 2], new Map([[1, 2]])]) {
    assert.deepEqual(readValue(serialize(value)), deserialize(serialize(value)));
  }
});
