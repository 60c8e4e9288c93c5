// The BullMQ executor's options: their shape, docs and checks are config.schema.json's
// (`BullMQExecutorConfig`), compiled with ajv only for options that are not plainly valid; here,
// their defaults, and the Redis URL with its password hidden, for log lines and error messages.
import { configSchema, type BullMQExecutorConfig } from "@valence/schema";
import { compiledCheck, jsonPath, schemaProblems, withoutUndefined } from "../../workflow/schema-check";

/** The BullMQ executor's options: `BullMQExecutorConfig` of config.schema.json, documented there. */
export type BullMQExecutorOptions = Readonly<BullMQExecutorConfig>;

export interface ResolvedOptions {
  readonly redis: string;
  readonly queue: string;
  readonly prefix: string;
  readonly waitTimeoutMs: number | undefined;
}

export const DEFAULT_REDIS = "redis://127.0.0.1:6379";
export const DEFAULT_QUEUE = "valence";
export const DEFAULT_PREFIX = "bull";

/** Validates `options` (from code or a config file) and fills in the defaults; throws naming the option. */
export function resolveOptions(options: Record<string, unknown>, executorName = "bullmq"): ResolvedOptions {
  if (!plainlyValid(options)) {
    const check = compiledCheck(configSchema, "bullmqOptions");
    if (!check(withoutUndefined(options))) {
      const problems = schemaProblems(check, {
        place: (path) => (path ? `${jsonPath(path)} ` : ""),
        noun: () => "option",
      });
      throw new TypeError(`executor "${executorName}" (bullmq): invalid options: ${problems.join("; ")}`);
    }
  }
  const valid = options as BullMQExecutorOptions;
  const env = process.env.VALENCE_REDIS_URL;
  const redis = valid.redis ?? (env ? env : DEFAULT_REDIS);
  if (!isRedisUrl(redis)) {
    // The schema's pattern passed, but the URL does not parse (or it came from the environment).
    const what = valid.redis === undefined ? "VALENCE_REDIS_URL" : "invalid options: redis";
    throw new TypeError(
      `executor "${executorName}" (bullmq): ${what} must be a redis:// or rediss:// URL (got "${redactUrl(redis)}")`,
    );
  }
  return {
    redis,
    queue: valid.queue ?? DEFAULT_QUEUE,
    prefix: valid.prefix ?? DEFAULT_PREFIX,
    waitTimeoutMs: valid.waitTimeoutMs,
  };
}

/** Options the schema certainly accepts, checked without loading ajv: a dispatcher creates a bullmq executor by default. */
function plainlyValid(options: Record<string, unknown>): boolean {
  return Object.entries(options).every(([key, value]) => {
    if (value === undefined) return true;
    if (key === "waitTimeoutMs") return isTimeout(value);
    if (typeof value !== "string") return false;
    if (key === "redis") return isRedisUrl(value);
    return (key === "queue" || key === "prefix") && /^[A-Za-z0-9_-]+$/.test(value);
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
