// `valence worker`: the command-line face of kernel/src/worker — parses and checks its options,
// then runs a worker until SIGTERM/SIGINT. BullMQ loads only when this command runs.
import { Command, InvalidArgumentError } from "commander";
import { redactUrl } from "../executors/bullmq/options";

interface Parsed {
  readonly redis?: string;
  readonly queue: string;
  readonly prefix: string;
  readonly concurrency?: number;
  readonly cpus?: number;
  readonly memoryMb?: number;
  readonly gpus?: number;
  readonly grace: number;
}

const whole =
  (what: string, min: number) =>
  (text: string): number => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < min) {
      throw new InvalidArgumentError(`${what} must be a whole number of at least ${min} (got "${text}")`);
    }
    return value;
  };

const name = (text: string): string => {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) throw new InvalidArgumentError(`may contain only letters, digits, "_" and "-"`);
  return text;
};

export function workerCommand(): Command {
  return new Command("worker")
    .description('run tasks that dispatchers send to a BullMQ queue in Redis (executor: "bullmq")')
    .option(
      "--redis <url>",
      "Redis to take tasks from: redis://[user:password@]host:port, or rediss:// for TLS " +
        "(default: $VALENCE_REDIS_URL, else redis://127.0.0.1:6379)",
    )
    .option("--queue <name>", "the queue the dispatcher's bullmq executor uses", name, "valence")
    .option("--prefix <prefix>", "BullMQ key prefix (must match the executor's)", name, "bull")
    .option("--concurrency <n>", "tasks run at once (default: --cpus)", whole("--concurrency", 1))
    .option("--cpus <n>", "CPUs offered to tasks (default: this machine's)", whole("--cpus", 1))
    .option(
      "--memory-mb <n>",
      "memory offered to tasks, in MiB (default: most of this machine's)",
      whole("--memory-mb", 64),
    )
    .option("--gpus <n>", "GPUs offered: tasks that need GPUs only go to workers with enough", whole("--gpus", 0), 0)
    .option(
      "--grace <seconds>",
      "on SIGTERM, how long running tasks may finish before going back to the queue",
      whole("--grace", 0),
      30,
    )
    .action(async (options: Parsed) => {
      const redis = options.redis ?? (process.env.VALENCE_REDIS_URL || "redis://127.0.0.1:6379");
      if (!/^rediss?:\/\//.test(redis) || !URL.canParse(redis)) {
        throw new InvalidArgumentError(`--redis must be a redis:// or rediss:// URL (got "${redactUrl(redis)}")`);
      }
      const { runWorker } = await import("../worker/index.js");
      await runWorker({
        redis,
        queue: options.queue,
        prefix: options.prefix,
        ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
        ...(options.cpus !== undefined ? { cpus: options.cpus } : {}),
        ...(options.memoryMb !== undefined ? { memoryMB: options.memoryMb } : {}),
        ...(options.gpus !== undefined ? { gpus: options.gpus } : {}),
        graceMs: options.grace * 1000,
      });
    });
}
