// Small integers in v8's serialization format, written without a serializer (the version header, 'I',
// the zigzag varint): where many are written at once — a loop's literal arguments, a fan-out's task
// arguments — a serializer each cost more than the rest of the work. Checked against v8 at load.
import { serialize } from "node:v8";

/** The version header every v8-serialized value starts with. */
export const V8_HEADER = serialize(0).subarray(0, 2);
/** v8's tag of a small integer ('I'), followed by its zigzag varint. */
export const INT32_TAG = 0x49;

/** Whole numbers v8 keeps as small ints (Smis) on every build, and writes as `INT32_TAG`. */
export const isSmallInt = (n: number): boolean =>
  Number.isInteger(n) && n >= -(2 ** 30) && n < 2 ** 30 && !Object.is(n, -0);

/** Writes `n` (unsigned) as a varint at `at`; returns where it ends. */
export function writeVarint(bytes: Uint8Array, at: number, n: number): number {
  for (; n >= 0x80; n >>>= 7) bytes[at++] = (n & 0x7f) | 0x80;
  bytes[at++] = n;
  return at;
}

/** Writes a small int (`isSmallInt`) as v8 does after the header: its tag and zigzag varint. */
export function writeSmallInt(bytes: Uint8Array, at: number, n: number): number {
  bytes[at++] = INT32_TAG;
  return writeVarint(bytes, at, ((n << 1) ^ (n >> 31)) >>> 0);
}

/** True when v8 writes small ints as `writeSmallInt` does (else, a future format, use the serializer). */
export const SMALL_INTS_MATCH = [0, 1, -1, 63, 64, -65, 300, 2 ** 30 - 1, -(2 ** 30), 123_456_789].every((n) => {
  const bytes = Buffer.alloc(8);
  bytes.set(V8_HEADER);
  return Buffer.compare(bytes.subarray(0, writeSmallInt(bytes, 2, n)), serialize(n)) === 0;
});
