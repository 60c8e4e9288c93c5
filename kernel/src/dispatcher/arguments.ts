// A lattice's arguments as a client sends them (a dispatch, a redispatch): checked before anything
// is stored, so a request that carries something else is refused whole.
import { deserialize } from "node:v8";
import { DispatchRejected } from "./validate-dispatch";

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
