// Values inside the dispatcher are v8-serialized bytes (what executors, the store and the wire carry);
// these helpers are the only place that converts, so the error for an uncloneable value is one message.
import { deserialize, serialize } from "node:v8";
import { DispatchRejected } from "./validate-dispatch";

export function encode(value: unknown): Uint8Array {
  return serialize(value);
}

export function decode(bytes: Uint8Array): unknown {
  return deserialize(bytes);
}

/** Bytes a client sent as a lattice's arguments: a serialized array, else a DispatchRejected naming `what`. */
export function argumentsOf(bytes: Uint8Array, what: string): unknown[] {
  let value: unknown;
  try {
    value = deserialize(bytes);
  } catch (error) {
    throw new DispatchRejected(`${what} are not v8-serialized arguments: ${(error as Error).message}`);
  }
  if (!Array.isArray(value)) throw new DispatchRejected(`${what} must be an array of arguments`);
  return value;
}

export function fromBase64(text: string): Uint8Array {
  return Buffer.from(text, "base64");
}

export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}
