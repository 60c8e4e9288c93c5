// The runtime file tells clients where the running dispatcher is and the token it wants. Written
// atomically with mode 0600 (only this user can read the token) and removed on a clean stop.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

export interface RuntimeInfo {
  readonly url: string;
  readonly token: string;
  readonly pid: number;
  readonly startedAt: number;
  readonly dataDir: string;
}

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

export function readRuntimeFile(path: string): RuntimeInfo | undefined {
  try {
    const info = JSON.parse(readFileSync(path, "utf8")) as RuntimeInfo;
    return typeof info.url === "string" && typeof info.token === "string" ? info : undefined;
  } catch {
    return undefined;
  }
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

/**
 * True while the process that wrote a runtime file exists (EPERM: it exists, owned by someone else).
 * Where /proc tells more, a zombie (killed, not yet reaped: a `kill -9`ed dispatcher stays one until
 * init reaps it) is gone, and so is a process that started after `since`: its pid was reused.
 */
export function processAlive(pid: number, since?: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  const proc = procStat(pid);
  if (!proc) return true;
  if (proc.state === "Z" || proc.state === "X") return false;
  return since === undefined || proc.startedAt === undefined || proc.startedAt <= since + PID_REUSE_SLACK_MS;
}

/** Clock skew allowed between a process's start (from /proc, 10 ms ticks) and the time it wrote down. */
const PID_REUSE_SLACK_MS = 5_000;
/** Linux reports process start times in USER_HZ ticks, 100 a second on every architecture it runs on. */
const USER_HZ = 100;

function procStat(pid: number): { state: string; startedAt: number | undefined } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid …": comm may hold spaces and parentheses, so fields count from the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[19]);
  const boot = bootTime();
  const startedAt = boot !== undefined && Number.isFinite(ticks) ? boot + (ticks / USER_HZ) * 1000 : undefined;
  return { state: fields[0] ?? "", startedAt };
}

let bootTimeMs: number | undefined;
function bootTime(): number | undefined {
  if (bootTimeMs !== undefined) return bootTimeMs;
  try {
    const line = /^btime (\d+)$/m.exec(readFileSync("/proc/stat", "utf8"));
    if (line) bootTimeMs = Number(line[1]) * 1000;
  } catch {
    // not Linux: no start times to compare
  }
  return bootTimeMs;
}
