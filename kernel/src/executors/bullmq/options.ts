// The BullMQ executor's options: what a user (or the config-file loader) may set, validated (with
// zod, loaded only for options that are not plainly valid) into clear errors that name the option,
// with their defaults; and the Redis URL with its password hidden, for log lines and error messages.
import type { z as Zod } from "zod";

export interface BullMQExecutorOptions {
  /**
   * The Redis server: `redis://[user:password@]host:port[/db]`, or `rediss://…` for TLS (ioredis
   * reads both from the URL). Default: `$VALENCE_REDIS_URL`, else `redis://127.0.0.1:6379`.
   */
  readonly redis?: string;
  /** The BullMQ queue tasks go to; `valence worker --queue` must name the same one. Default "valence". */
  readonly queue?: string;
  /** BullMQ's key prefix (every key the queue uses starts with it). Default BullMQ's own, "bull". */
  readonly prefix?: string;
  /**
   * How long, in ms, a task may wait for a worker that can run it (none connected with the GPUs,
   * CPUs or memory it asks for) before its attempt fails with a NoWorkerError. Only that wait counts:
   * a task in the queue behind busy workers able to run it waits as long as it takes. Default: none
   * (such a task waits until a worker that can run it connects).
   */
  readonly waitTimeoutMs?: number;
}

export interface ResolvedOptions {
  readonly redis: string;
  readonly queue: string;
  readonly prefix: string;
  readonly waitTimeoutMs: number | undefined;
}

export const DEFAULT_REDIS = "redis://127.0.0.1:6379";
export const DEFAULT_QUEUE = "valence";
export const DEFAULT_PREFIX = "bull";

/** A queue or prefix name: BullMQ forbids ":" in queue names, and "." separates our class suffixes. */
const NAME = /^[A-Za-z0-9_-]+$/;

function schema() {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when a bullmq executor is configured
  const { z } = require("zod") as { z: typeof Zod };
  const name = (what: string) =>
    z
      .string({ error: `${what} must be a string` })
      .regex(NAME, `${what} may contain only letters, digits, "_" and "-"`)
      .optional();
  return z.strictObject(
    {
      redis: z
        .string({ error: "redis must be a string (a redis:// or rediss:// URL)" })
        .refine(isRedisUrl, {
          message: "redis must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379",
        })
        .optional(),
      queue: name("queue"),
      prefix: name("prefix"),
      waitTimeoutMs: z
        .number({ error: "waitTimeoutMs must be a number (milliseconds)" })
        .refine(isTimeout, { message: "waitTimeoutMs must be a positive whole number of milliseconds" })
        .optional(),
    },
    {
      error: (issue) =>
        issue.code === "unrecognized_keys"
          ? `unknown option(s): ${issue.keys.join(", ")} (known: redis, queue, prefix, waitTimeoutMs)`
          : undefined,
    },
  );
}

/** Validates `options` (from code or a config file) and fills in the defaults; throws naming the option. */
export function resolveOptions(options: Record<string, unknown>, executorName = "bullmq"): ResolvedOptions {
  const parsed = plainlyValid(options)
    ? { success: true as const, data: options as BullMQExecutorOptions }
    : schema().safeParse(options);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const path = issue.path.join(".");
      return !path || issue.message.startsWith(path) ? issue.message : `${path}: ${issue.message}`;
    });
    throw new TypeError(`executor "${executorName}" (bullmq): invalid options: ${problems.join("; ")}`);
  }
  const env = process.env.VALENCE_REDIS_URL;
  const redis = parsed.data.redis ?? (env ? env : DEFAULT_REDIS);
  if (!isRedisUrl(redis)) {
    throw new TypeError(
      `executor "${executorName}" (bullmq): VALENCE_REDIS_URL must be a redis:// or rediss:// URL (got "${redactUrl(redis)}")`,
    );
  }
  return {
    redis,
    queue: parsed.data.queue ?? DEFAULT_QUEUE,
    prefix: parsed.data.prefix ?? DEFAULT_PREFIX,
    waitTimeoutMs: parsed.data.waitTimeoutMs,
  };
}

/** Options the schema certainly accepts, checked without loading zod (megabytes of heap): a dispatcher creates a bullmq executor by default. */
function plainlyValid(options: Record<string, unknown>): boolean {
  return Object.entries(options).every(([key, value]) => {
    if (value === undefined) return true;
    if (key === "waitTimeoutMs") return isTimeout(value);
    if (typeof value !== "string") return false;
    if (key === "redis") return isRedisUrl(value);
    return (key === "queue" || key === "prefix") && NAME.test(value);
  });
}

function isTimeout(value: unknown): boolean {
  return Number.isSafeInteger(value) && (value as number) > 0;
}

export function isRedisUrl(url: string): boolean {
  return /^rediss?:\/\//.test(url) && URL.canParse(url);
}

/** The URL with any password replaced by "***", for logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, "//***@");
  }
}
