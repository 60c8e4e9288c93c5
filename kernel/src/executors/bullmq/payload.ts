// Large inputs and outputs. A BullMQ job's data and return value are JSON stored in the job's hash,
// and a return value is copied once more into the queue's event stream, so only small values travel
// inline: above INLINE_LIMIT (64 KiB) a value goes to a key of its own (raw bytes, no base64, with a
// TTL as a fallback) and the job carries `{ ref, bytes }`. The dispatcher deletes those keys once it
// has the result; the TTL cleans up after a dispatcher that never comes back.
import type { Payload } from "./protocol";
import type { RedisClient } from "./connection";

/** Values up to this size (bytes) travel inside the job or its return value. */
export const INLINE_LIMIT = 64 * 1024;
/** Inputs wait in the queue for a worker: kept up to a week. */
export const INPUT_TTL_SECONDS = 7 * 24 * 3600;
/** Results wait for the dispatcher to take them: kept a day. */
export const OUTPUT_TTL_SECONDS = 24 * 3600;

/** Bytes (`text` false: base64 when inline) or UTF-8 text, inline or stored at `key`. */
export async function putPayload(
  client: RedisClient,
  key: string,
  value: Uint8Array | string,
  ttlSeconds: number,
): Promise<Payload> {
  const size = typeof value === "string" ? Buffer.byteLength(value) : value.byteLength;
  if (size <= INLINE_LIMIT) {
    return {
      inline: typeof value === "string" ? value : Buffer.from(value.buffer, value.byteOffset, size).toString("base64"),
    };
  }
  const bytes = typeof value === "string" ? Buffer.from(value) : Buffer.from(value.buffer, value.byteOffset, size);
  await client.set(key, bytes, "EX", ttlSeconds);
  return { ref: key, bytes: size };
}

/** The bytes of a payload written from bytes. */
export async function getBytes(client: RedisClient, payload: Payload, what: string): Promise<Buffer> {
  if ("inline" in payload) return Buffer.from(payload.inline, "base64");
  return fetchRef(client, payload, what);
}

/** The text of a payload written from text. */
export async function getText(client: RedisClient, payload: Payload, what: string): Promise<string> {
  if ("inline" in payload) return payload.inline;
  return (await fetchRef(client, payload, what)).toString("utf8");
}

/** The keys a payload occupies (none when inline). */
export function refsOf(...payloads: Array<Payload | undefined>): string[] {
  return payloads.flatMap((p) => (p && "ref" in p ? [p.ref] : []));
}

async function fetchRef(client: RedisClient, payload: { ref: string; bytes: number }, what: string): Promise<Buffer> {
  const bytes = await client.getBuffer(payload.ref);
  if (bytes === null) {
    throw new Error(
      `${what} (${payload.bytes} bytes) is no longer in Redis (key ${payload.ref} expired or was deleted)`,
    );
  }
  if (bytes.byteLength !== payload.bytes) {
    throw new Error(`${what} in Redis has ${bytes.byteLength} bytes, expected ${payload.bytes} (key ${payload.ref})`);
  }
  return bytes;
}
