// Values are v8-serialized bytes wherever they travel (executors, the store, the wire between the
// user's process and the dispatcher); these helpers are the only place that converts, so the error
// for an uncloneable value is one message.
import { deserialize, serialize } from "node:v8";

export function encode(value: unknown): Uint8Array {
  return serialize(value);
}

export function decode(bytes: Uint8Array): unknown {
  return deserialize(bytes);
}

export function fromBase64(text: string): Uint8Array {
  return Buffer.from(text, "base64");
}

export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}
