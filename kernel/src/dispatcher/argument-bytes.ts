// A task's arguments and an output's preview straight from v8 bytes, without a serializer each: most
// arguments of a fan-out are numbers and short strings, whose v8 bytes stand alone, so the argument
// array's bytes are theirs between an array header and footer. Numbers are written one way: whole ones
// within 31 bits as ints, others as doubles. (v8.serialize of an array writes them by the array's
// elements kind, which depends on what the code that filled it saw before: equal arguments could make
// different bytes, so different content keys.) The format is checked against v8's at load.
import { deserialize, serialize } from "node:v8";
import { INT32_TAG as INT32, isSmallInt, V8_HEADER as HEADER, writeSmallInt, writeVarint } from "../workflow/v8-ints";

const DENSE_ARRAY = 0x41; // 'A'
const END_DENSE_ARRAY = 0x24; // '$'
const DOUBLE = 0x4e; // 'N'
const ONE_BYTE_STRING = 0x22; // '"'
const TRUE = 0x54;
const FALSE = 0x46;
const NULL = 0x30;
const UNDEFINED = 0x5f;
/** Tags of values that are written the same inside an array as alone (no object ids, no alignment). */
const STANDALONE = new Set([INT32, DOUBLE, ONE_BYTE_STRING, TRUE, FALSE, NULL, UNDEFINED]);

/**
 * The v8 bytes of the array of the values whose v8 bytes are `parts`, numbers written one way, or
 * undefined when a part is not a number, string of one-byte characters, boolean, null or undefined.
 */
export function joinArguments(parts: readonly Uint8Array[]): Uint8Array | undefined {
  return JOINS ? join(parts) : undefined;
}

function join(parts: readonly Uint8Array[]): Uint8Array | undefined {
  let size = 0;
  for (const part of parts) {
    if (part.length < 3 || part[0] !== HEADER[0] || part[1] !== HEADER[1] || !STANDALONE.has(part[2]!)) return;
    size += Math.max(part.length - 2, 9); // an int may become a double
  }
  const n = parts.length;
  const bytes = Buffer.allocUnsafe(2 + 1 + 5 + size + 1 + 1 + 5);
  bytes[0] = HEADER[0]!;
  bytes[1] = HEADER[1]!;
  bytes[2] = DENSE_ARRAY;
  let at = writeVarint(bytes, 3, n);
  for (const part of parts) {
    const tag = part[2];
    const number = tag === INT32 || tag === DOUBLE ? simpleValue(part) : NOT_SIMPLE;
    if (typeof number !== "number") {
      if (tag === INT32 || tag === DOUBLE) return undefined; // malformed
      bytes.set(part.subarray(2), at);
      at += part.length - 2;
    } else if (isSmallInt(number)) {
      at = writeSmallInt(bytes, at, number);
    } else {
      bytes[at++] = DOUBLE;
      bytes.writeDoubleLE(number, at);
      at += 8;
    }
  }
  bytes[at++] = END_DENSE_ARRAY;
  bytes[at++] = 0; // no properties
  at = writeVarint(bytes, at, n);
  return bytes.subarray(0, at);
}

const NOT_SIMPLE = Symbol("not simple");

/** The value of v8 bytes holding one number, boolean, null or undefined, read directly; else deserialized. */
export function readValue(bytes: Uint8Array): unknown {
  const value = READS ? simpleValue(bytes) : NOT_SIMPLE;
  return value === NOT_SIMPLE ? deserialize(bytes) : value;
}

function simpleValue(bytes: Uint8Array): unknown {
  if (bytes.length < 3 || bytes[0] !== HEADER[0] || bytes[1] !== HEADER[1]) return NOT_SIMPLE;
  switch (bytes[2]) {
    case INT32: {
      let zigzag = 0;
      let shift = 0;
      for (let at = 3; at < bytes.length && shift < 35; at++, shift += 7) {
        const byte = bytes[at]!;
        zigzag += (byte & 0x7f) * 2 ** shift;
        if (byte < 0x80) return at === bytes.length - 1 ? (zigzag % 2 ? -(zigzag + 1) / 2 : zigzag / 2) : NOT_SIMPLE;
      }
      return NOT_SIMPLE;
    }
    case DOUBLE:
      return bytes.length === 11 ? Buffer.from(bytes.buffer, bytes.byteOffset + 3, 8).readDoubleLE(0) : NOT_SIMPLE;
    case TRUE:
      return bytes.length === 3 ? true : NOT_SIMPLE;
    case FALSE:
      return bytes.length === 3 ? false : NOT_SIMPLE;
    case NULL:
      return bytes.length === 3 ? null : NOT_SIMPLE;
    case UNDEFINED:
      return bytes.length === 3 ? undefined : NOT_SIMPLE;
    default:
      return NOT_SIMPLE;
  }
}

const SAMPLES: unknown[][] = [
  [],
  [0],
  [1, -1, 63, 64, -65, 300, 2 ** 30 - 1, -(2 ** 30)],
  [1.5, -0, 2 ** 32, NaN, Infinity],
  ["", "a", "é", "x".repeat(200)],
  [1, "a", true, false, null, undefined],
  Array.from({ length: 300 }, (_, i) => i),
];
const same = (a: Uint8Array | undefined, b: Uint8Array): boolean => a !== undefined && Buffer.compare(a, b) === 0;
/** v8 writes these arrays (each of one elements kind) as joined here; else (a future format) the serializer is used. */
const JOINS = SAMPLES.every((values) => same(join(values.map((v) => serialize(v))), serialize(values)));
const READS = SAMPLES.flat().every((value) => {
  const read = simpleValue(serialize(value));
  return read === NOT_SIMPLE || Object.is(read, value);
});
