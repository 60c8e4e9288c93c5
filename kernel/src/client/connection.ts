// How a kernel or script reaches its dispatcher: VALENCE_DISPATCHER_URL (+ VALENCE_DISPATCHER_TOKEN)
// when set; else the runtime file in the user's data directory; else — the embedded default — it
// starts one in the background (one per user, shared by every kernel and script) and waits for it.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, mkdirSync, openSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { configStartArgs } from "../config/start-args";
import { defaultDataDir, logFile, runtimeFile } from "../shared/paths";
import { helloProof, processAlive, readRuntimeFile, tokensMatch } from "../shared/runtime-file";

export class DispatcherError extends Error {
  override readonly name = "DispatcherError";
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface Connection {
  readonly url: string;
  readonly token: string;
}

const START_TIMEOUT_MS = 20_000;

/** Sends one JSON request; errors name the dispatcher and what to do. */
export async function request<T>(connection: Connection, method: string, path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${connection.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${connection.token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (error) {
    const cause = errorCode(error);
    throw new DispatcherError(
      `cannot reach the Valence dispatcher at ${connection.url} (${cause}). Start one with \`valence start\`` +
        (process.env.VALENCE_DISPATCHER_URL ? ", or unset VALENCE_DISPATCHER_URL to let Valence start its own." : "."),
    );
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    throw new DispatcherError(
      `the dispatcher at ${connection.url} answered ${response.status} with non-JSON: ${text.slice(0, 200)}`,
    );
  }
  if (response.status === 401) {
    throw new DispatcherError(
      `the dispatcher at ${connection.url} refused the token (401). Check VALENCE_DISPATCHER_TOKEN, or the runtime file.`,
      401,
    );
  }
  if (!response.ok) {
    const { error, details } = (parsed ?? {}) as { error?: string; details?: string[] };
    throw new DispatcherError(
      `${error ?? `HTTP ${response.status}`}${details?.length ? `: ${details.join("; ")}` : ""}`,
      response.status,
    );
  }
  return parsed as T;
}

function errorCode(error: unknown): string {
  // fetch (undici) nests the system error: cause.code, or cause.errors[i].code for several addresses.
  const cause = (error as { cause?: { code?: string; errors?: Array<{ code?: string }>; message?: string } }).cause;
  return cause?.code ?? cause?.errors?.find((e) => e.code)?.code ?? cause?.message ?? (error as Error).message;
}

/**
 * Whether the dispatcher at `connection` answers and proves it knows the token (GET /api/v1/hello,
 * runtime-file.ts) — asked before the token is ever sent there. "impostor": something else listens
 * there (another user took the port of a dispatcher that was killed), and it must not get the token.
 */
async function identify(connection: Connection): Promise<"ok" | "unreachable" | "impostor"> {
  const challenge = randomBytes(24).toString("base64url");
  let response: Response;
  try {
    response = await fetch(`${connection.url}/api/v1/hello?challenge=${challenge}`, {
      signal: AbortSignal.timeout(HELLO_TIMEOUT_MS),
    });
  } catch {
    return "unreachable";
  }
  const body = (await response.json().catch(() => undefined)) as { proof?: unknown } | undefined;
  const port = Number(new URL(connection.url).port || 80);
  const proof = typeof body?.proof === "string" ? body.proof : "";
  return tokensMatch(proof, helloProof(connection.token, port, challenge)) ? "ok" : "impostor";
}

const HELLO_TIMEOUT_MS = 5_000;

function impostor(connection: Connection, where: string): DispatcherError {
  return new DispatcherError(
    `the process listening at ${connection.url} (${where}) is not your Valence dispatcher: it could not prove ` +
      `it knows the token, so nothing was sent to it. Your dispatcher may have been killed and its port taken by ` +
      `another program; run \`valence start\` to start a new one.`,
  );
}

export interface ConnectOptions {
  /** Start a dispatcher in the background when none answers. Default true. */
  readonly autoStart?: boolean;
  readonly dataDir?: string;
}

let cached: Promise<Connection> | undefined;

/** The dispatcher to talk to, started if needed. Cached per process; a failed lookup is retried. */
export function connect(options: ConnectOptions = {}): Promise<Connection> {
  cached ??= findOrStart(options).catch((error: unknown) => {
    cached = undefined;
    throw error;
  });
  return cached;
}

/**
 * A request to this process's dispatcher. When a discovered dispatcher stopped answering (it was
 * restarted elsewhere, or stopped), it is found again — started if none runs — and the request is
 * sent once more: a refused connection means the first one never arrived.
 */
export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  try {
    return await request<T>(await connect(), method, path, body);
  } catch (error) {
    const unreachable = error instanceof DispatcherError && error.status === undefined;
    if (!unreachable || process.env.VALENCE_DISPATCHER_URL) throw error;
    resetConnection();
    return request<T>(await connect(), method, path, body);
  }
}

/** The dispatcher's path of a dispatch, or of a part of it (`part`: "/graph", "/nodes/3"…). */
export function dispatchPath(dispatchId: string, part = ""): string {
  return `/api/v1/dispatches/${encodeURIComponent(dispatchId)}${part}`;
}

/** Forgets the cached connection (after a dispatcher restart, or in tests). */
export function resetConnection(): void {
  cached = undefined;
}

async function findOrStart(options: ConnectOptions): Promise<Connection> {
  const env = process.env;
  if (env.VALENCE_DISPATCHER_URL) {
    const connection = {
      url: env.VALENCE_DISPATCHER_URL.replace(/\/$/, ""),
      token: env.VALENCE_DISPATCHER_TOKEN ?? "",
    };
    const identity = await identify(connection);
    if (identity === "impostor") throw impostor(connection, "VALENCE_DISPATCHER_URL");
    if (identity === "unreachable") await request(connection, "GET", "/api/v1/status"); // throws the clear error
    return connection;
  }
  const dataDir = options.dataDir ?? defaultDataDir();
  const running = await published(dataDir);
  if (running) return running;
  if (options.autoStart === false) {
    throw new DispatcherError(`no Valence dispatcher is running for ${dataDir}. Start one with \`valence start\`.`);
  }
  // The config of the project this kernel or script runs in (--config), checked before starting.
  return startInBackground(dataDir, configStartArgs());
}

export async function published(dataDir: string): Promise<Connection | undefined> {
  const info = readRuntimeFile(runtimeFile(dataDir));
  if (!info) return undefined;
  const connection = { url: info.url, token: info.token };
  // A runtime file whose process is gone is stale: whatever holds its port now is not asked.
  if (typeof info.pid === "number" && !processAlive(info.pid, info.startedAt)) return undefined;
  const identity = await identify(connection);
  if (identity === "impostor") throw impostor(connection, `named by ${runtimeFile(dataDir)}`);
  return identity === "ok" ? connection : undefined;
}

/**
 * Node flags of the dispatcher process. A young generation of 1 MB semi-spaces instead of 16: the
 * dispatcher's garbage is short-lived (request bodies, messages), so scavenges stay cheap, and its
 * peak RSS over a large dispatch is lower. Only a process flag can set it.
 */
export const DISPATCHER_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=1"];

/**
 * The dispatcher process's entry point, as the package exports it (`valence-workflows/dispatcher`,
 * dispatcher/main.ts): the one way this side of the house reaches the server's code.
 */
export function dispatcherEntry(): string {
  return require.resolve("valence-workflows/dispatcher");
}

/** Starts the dispatcher process (dispatcherEntry) detached from this process and waits until it answers. */
export async function startInBackground(dataDir: string, extraArgs: readonly string[] = []): Promise<Connection> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const lock = join(dataDir, "dispatcher.starting");
  // One starter at a time: others wait for the runtime file it publishes.
  if (takeLock(lock)) {
    try {
      const log = openSync(logFile(dataDir), "a", 0o600);
      const child = spawn(
        process.execPath,
        [...DISPATCHER_NODE_FLAGS, dispatcherEntry(), "--data-dir", dataDir, ...extraArgs],
        {
          detached: true,
          stdio: ["ignore", log, log],
          env: { ...process.env, VALENCE_DISPATCHER_URL: "" },
        },
      );
      child.unref();
      closeSync(log);
      return await waitForDispatcher(dataDir, () => child.exitCode);
    } finally {
      rmSync(lock, { force: true });
    }
  }
  return waitForDispatcher(dataDir, () => null);
}

function takeLock(path: string): boolean {
  try {
    closeSync(openSync(path, "wx"));
    return true;
  } catch {
    // A lock older than the start timeout belongs to a starter that died.
    try {
      if (Date.now() - statSync(path).mtimeMs > START_TIMEOUT_MS) rmSync(path, { force: true });
    } catch {
      /* gone meanwhile */
    }
    return false;
  }
}

async function waitForDispatcher(dataDir: string, exitCode: () => number | null): Promise<Connection> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const connection = await published(dataDir);
    if (connection) return connection;
    const code = exitCode();
    if (code !== null) {
      throw new DispatcherError(`the dispatcher exited with code ${code} while starting; see ${logFile(dataDir)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new DispatcherError(`no dispatcher answered within ${START_TIMEOUT_MS / 1000} s; see ${logFile(dataDir)}`);
}
