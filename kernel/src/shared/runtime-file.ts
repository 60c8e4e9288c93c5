// The runtime file tells clients where the running dispatcher is and the token it wants. Written
// atomically with mode 0600 (only this user can read the token) and removed on a clean stop.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { isRuntimeFile, type RuntimeFile } from "@valence/schema";
import { processAlive } from "./process-alive";

export { processAlive };

export type RuntimeInfo = Readonly<RuntimeFile>;

export function newToken(): string {
  return randomBytes(24).toString("base64url");
}

/**
 * The read credential of a dispatcher whose token is `token`: it lets a browser watch dispatches
 * (GET requests, websocket subscriptions) but not start, cancel or stop anything. Derived, not
 * stored, so it dies with the token when the dispatcher restarts and the kernel can hand it out
 * without a round trip.
 */
export function readTokenFor(token: string): string {
  return createHmac("sha256", token).update("valence-read-v1").digest("base64url");
}

/**
 * The dispatcher's answer to a client's challenge (GET /api/v1/hello): proof that it knows the token,
 * bound to the port it listens on so that another process cannot relay a real dispatcher's answer.
 * Clients ask before they send the token or a dispatch: a runtime file left by a killed dispatcher may
 * name a port someone else has taken since.
 */
export function helloProof(token: string, port: number, challenge: string): string {
  return createHmac("sha256", token).update(`valence-hello-v1\n${port}\n${challenge}`).digest("base64url");
}

export function writeRuntimeFile(path: string, info: RuntimeInfo): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(info, null, 2), { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, path);
}

/** The file's contents, or undefined when it is missing, unreadable or not a RuntimeFile (no dispatcher to trust). */
export function readRuntimeFile(path: string): RuntimeInfo | undefined {
  let info: unknown;
  try {
    info = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return undefined;
  }
  return isRuntimeFile(info) ? info : undefined;
}

export function removeRuntimeFile(path: string, pid = process.pid): void {
  if (readRuntimeFile(path)?.pid === pid) rmSync(path, { force: true });
}

export function tokensMatch(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
