// A task's content key (cache: true, redispatch with reuse): equal code and equal arguments must
// make the same key. v8's bytes of equal values differ with how the engine held them — a whole number
// as an int or a double (a heap number, a double field, a double array), a string as one-byte or
// two-byte — so the key of arguments that are not joined from their inputs' bytes (argument-bytes.ts)
// is made from their values: simple ones as joined bytes would be, the rest by a canonical walk.
import { createHash, hash } from "node:crypto";
import { serialize } from "node:v8";
import { V8_HEADER, writeVarint } from "../workflow/v8-ints";
import { joinArguments } from "./argument-bytes";

/** sha256 of the electron's hash and the arguments' bytes, one shot (no Hash object each). */
export function contentKey(electronHash: string, args: Uint8Array): string {
  const length = Buffer.byteLength(electronHash);
  const data = Buffer.allocUnsafe(length + args.byteLength);
  data.write(electronHash, 0);
  data.set(args, length);
  return hash("sha256", data, "base64url");
}

/** The content key of arguments given as values: the same for equal values, however v8 holds them. */
export function contentKeyOfValues(electronHash: string, args: readonly unknown[]): string {
  const joined = args.every(isSimple) ? joinArguments(args.map(simpleBytes)) : undefined;
  if (joined) return contentKey(electronHash, joined);
  const digest = createHash("sha256").update(electronHash).update("\0canonical\0");
  new Walk(digest).value(args);
  return digest.digest("base64url");
}

/** A value argument-bytes.ts joins when its bytes stand alone (a string: when each character fits a byte). */
function isSimple(value: unknown): boolean {
  switch (typeof value) {
    case "number":
    case "boolean":
    case "undefined":
      return true;
    case "string":
      return !/[^\u0000-\u00ff]/.test(value);
    default:
      return value === null;
  }
}

/** v8 bytes of a simple value, a string always one-byte (as v8 writes one held one-byte). */
function simpleBytes(value: unknown): Uint8Array {
  if (typeof value !== "string") return serialize(value);
  const text = Buffer.from(value, "latin1");
  const bytes = Buffer.allocUnsafe(2 + 1 + 5 + text.length);
  bytes.set(V8_HEADER, 0);
  bytes[2] = 0x22; // '"': a one-byte string
  const at = writeVarint(bytes, 3, text.length);
  bytes.set(text, at);
  return bytes.subarray(0, at + text.length);
}

/** Writes a value to a hash in one canonical form: numbers by value, strings by characters, objects by content. */
class Walk {
  private readonly seen = new Map<object, number>();
  private text = "";

  constructor(private readonly digest: ReturnType<typeof createHash>) {}

  value(v: unknown): void {
    this.walk(v);
    this.flush();
  }

  private put(text: string): void {
    this.text += text;
    if (this.text.length > 64 * 1024) this.flush();
  }

  private flush(): void {
    if (this.text) this.digest.update(this.text, "utf16le");
    this.text = "";
  }

  private string(s: string): void {
    this.put(`${s.length}:`);
    this.put(s);
  }

  private walk(v: unknown): void {
    switch (typeof v) {
      case "number":
        return this.put(Object.is(v, -0) ? "n-0;" : `n${v};`);
      case "bigint":
        return this.put(`b${v};`);
      case "string":
        this.put("s");
        return this.string(v);
      case "boolean":
        return this.put(v ? "T" : "F");
      case "undefined":
        return this.put("u");
      case "object":
        return v === null ? this.put("z") : this.object(v);
      default:
        // Functions and symbols do not travel: v8 refused them before a key is made.
        return this.put(`?${typeof v};`);
    }
  }

  private object(o: object): void {
    const earlier = this.seen.get(o);
    if (earlier !== undefined) return this.put(`r${earlier};`);
    this.seen.set(o, this.seen.size);
    if (Array.isArray(o)) {
      this.put(`a${o.length}:`);
      for (let i = 0; i < o.length; i++) {
        if (i in o) this.walk(o[i]);
        else this.put("h");
      }
      return this.properties(
        o,
        Object.keys(o).filter((k) => !/^(0|[1-9]\d*)$/.test(k)),
      );
    }
    if (ArrayBuffer.isView(o) || o instanceof ArrayBuffer) {
      const bytes = o instanceof ArrayBuffer ? new Uint8Array(o) : new Uint8Array(o.buffer, o.byteOffset, o.byteLength);
      this.put(`B${o.constructor.name}${bytes.byteLength}:`);
      this.flush();
      this.digest.update(bytes);
      return;
    }
    if (o instanceof Map) {
      this.put(`M${o.size}:`);
      for (const [key, value] of o) {
        this.walk(key);
        this.walk(value);
      }
      return;
    }
    if (o instanceof Set) {
      this.put(`S${o.size}:`);
      for (const value of o) this.walk(value);
      return;
    }
    if (o instanceof Date) return this.put(`D${o.getTime()};`);
    if (o instanceof RegExp) {
      this.put("R");
      this.string(o.source);
      return this.string(o.flags);
    }
    if (o instanceof Error) {
      this.put("E");
      this.string(o.name);
      this.string(o.message);
      return this.string(o.stack ?? "");
    }
    if (o instanceof Number || o instanceof String || o instanceof Boolean || o instanceof BigInt) {
      this.put("W");
      return this.walk(o.valueOf());
    }
    this.properties(o, Object.keys(o));
  }

  private properties(o: object, keys: readonly string[]): void {
    this.put(`o${keys.length}:`);
    for (const key of keys) {
      this.string(key);
      this.walk((o as Record<string, unknown>)[key]);
    }
  }
}
