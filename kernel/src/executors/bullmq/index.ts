// The BullMQ executor for tasks that outgrow one machine (see executor.ts), and `createExecutor`,
// what a config file's entry `{ "type": "bullmq", "redis": …, "queue": …, "prefix": …,
// "waitTimeoutMs": … }` (or the implicit "bullmq" executor) is made with: see config/executors.ts.
import { BullMQExecutor } from "./executor";

export { BullMQExecutor, type BullMQExecutorSettings, type WaitingTask } from "./executor";
export type { BullMQExecutorOptions } from "./options";

/**
 * A BullMQ executor from options as a config file gives them: `redis` (default
 * `$VALENCE_REDIS_URL`, else `redis://127.0.0.1:6379`), `queue` (default "valence"), `prefix`,
 * `waitTimeoutMs` (default none: a task no worker can run waits until one connects).
 * Throws a TypeError naming the option when one is invalid; connects to Redis only on first submit.
 */
export function createExecutor(
  options: Record<string, unknown>,
  context: { readonly name: string; readonly dataDir: string },
): BullMQExecutor {
  return new BullMQExecutor(options, { label: context.name });
}
