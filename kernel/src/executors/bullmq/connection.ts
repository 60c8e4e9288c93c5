// Connecting to Redis for the executor and the worker: ioredis clients that retry forever (Redis
// restarts, networks drop) with a clear, throttled log line instead of a crash, and BullMQ loaded
// only when first needed, so a dispatcher with a bullmq executor configured starts as fast as one without.
import type { Socket } from "node:net";
import type { Redis as RedisClient, RedisOptions } from "ioredis";
import { redactUrl } from "./options";

export type { Redis as RedisClient } from "ioredis";
export type BullMQ = typeof import("bullmq");

/** BullMQ's module, loaded on first use. */
export function bullmq(): BullMQ {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use (see above)
  return require("bullmq") as BullMQ;
}

/** How long a reconnect waits after `times` failed attempts: 100 ms, growing to 2 s. */
export function reconnectDelay(times: number): number {
  return Math.min(100 * 2 ** Math.min(times, 5), 2000);
}

/** Reports a lost Redis once per episode (and again every 30 s while it lasts), and its return. */
export class RedisHealth {
  private down = false;
  private lastLog = 0;
  private readonly reported = new Map<string, number>();

  /**
   * `who` starts each line ("valence executor \"gpu\": "), or "" when `log` already says who;
   * `back` is called when Redis answers again after it was lost.
   */
  constructor(
    private readonly url: string,
    private readonly who: string,
    private readonly log: (line: string) => void,
    private readonly back?: () => void,
  ) {}

  get reachable(): boolean {
    return !this.down;
  }

  problem(error: unknown): void {
    const now = Date.now();
    if (this.down && now - this.lastLog < 30_000) return;
    this.down = true;
    this.lastLog = now;
    const message = error instanceof Error ? error.message || (error as { code?: string }).code : String(error);
    this.log(
      `${this.who}cannot reach Redis at ${redactUrl(this.url)} (${message}); retrying — tasks wait until it is back`,
    );
  }

  /** Any error from a client or BullMQ: a lost connection is `problem()`, anything else is logged as is. */
  report(error: unknown): void {
    if (isConnectionError(error)) return this.problem(error);
    const message = error instanceof Error ? error.message : String(error);
    const now = Date.now();
    if (now - (this.reported.get(message) ?? 0) < 10_000) return;
    if (this.reported.size > 100) this.reported.clear();
    this.reported.set(message, now);
    this.log(`${this.who}BullMQ reported: ${message}`);
  }

  ready(): void {
    if (!this.down) return;
    this.down = false;
    this.log(`${this.who}connected to Redis at ${redactUrl(this.url)} again`);
    this.back?.();
  }
}

/** Whether an error means Redis cannot be reached (as opposed to a command or a job going wrong). */
export function isConnectionError(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === "string" && /^(ECONN|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|EPIPE)/.test(code)) {
    return true;
  }
  return (
    typeof message === "string" &&
    /Connection is closed|connect E[A-Z]+|ECONNRESET|Stream isn't writeable/.test(message)
  );
}

/**
 * Holds the client's writes until the promise callbacks running now are done (process.nextTick), so
 * that the commands they issue leave in one write and their replies come back together: the adds
 * of tasks that became ready together, a job's result message with its completion. Nothing is held
 * while the client is not ready (ioredis then queues commands itself).
 */
export function batchWrites(client: RedisClient): void {
  const stream = client.status === "ready" ? (client.stream as Socket | undefined) : undefined;
  if (!stream || stream.writableCorked || stream.destroyed) return;
  stream.cork();
  process.nextTick(() => stream.uncork());
}

/**
 * An ioredis client for `url` (passwords and `rediss://` TLS come from the URL) that queues commands
 * while disconnected and reconnects forever; BullMQ requires `maxRetriesPerRequest: null`.
 */
export function createClient(url: string, name: string, health: RedisHealth, extra: RedisOptions = {}): RedisClient {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- see bullmq() above
  const { Redis } = require("ioredis") as typeof import("ioredis");
  const client = new Redis(url, {
    maxRetriesPerRequest: null,
    retryStrategy: reconnectDelay,
    connectionName: name,
    ...extra,
  });
  client.on("error", (error: unknown) => health.report(error));
  client.on("ready", () => health.ready());
  return client;
}
