// Literal values travel as v8 bytes; small integers are made without a serializer (the int32 form v8
// itself writes for them) and decode to the same values.
import { test } from "node:test";
import assert from "node:assert/strict";
import { deserialize } from "node:v8";
import { encodeValue } from "#src/workflow/transport.js";

test("encoded values decode to themselves, small integers included, in v8's int32 form", () => {
  const values: unknown[] = [0, -0, 1, -1, 127, 128, -129, 2 ** 30 - 1, 2 ** 30, -(2 ** 30), -(2 ** 30) - 1, 2 ** 31];
  values.push(0.5, NaN, Infinity, 1e21, "s", null, [1, 2], { a: 1 });
  for (let i = -70_000; i < 70_000; i += 7) values.push(i);
  for (const value of values) {
    const bytes = Buffer.from(encodeValue(value, "a value"), "base64");
    assert.deepEqual(deserialize(bytes), value);
    assert.ok(Object.is(deserialize(bytes), value) || typeof value === "object");
  }
  // Version header, 'I', zigzag varint: 300 → 600 → 0xd8 0x04.
  assert.deepEqual([...Buffer.from(encodeValue(300, "300"), "base64").subarray(2)], [0x49, 0xd8, 0x04]);
});
