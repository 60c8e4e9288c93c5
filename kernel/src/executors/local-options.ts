// The local executor's options (their shape and docs are config.schema.json's) and their defaults
// sized to the machine.
import { availableParallelism, totalmem } from "node:os";
import type { LocalExecutorConfig } from "@valence/schema";

/** The local executor's options: `LocalExecutorConfig` of config.schema.json, documented there. */
export type LocalExecutorOptions = Readonly<LocalExecutorConfig>;

export interface LocalSizing {
  readonly maxWorkers: number;
  readonly memoryMB: number;
  readonly defaultTaskMemoryMB: number;
}

export function localSizing(options: LocalExecutorOptions): LocalSizing {
  const maxWorkers = options.maxWorkers ?? availableParallelism();
  if (!(maxWorkers >= 1)) throw new RangeError(`LocalExecutor: maxWorkers must be at least 1 (got ${maxWorkers})`);
  const totalMB = Math.floor(totalmem() / 2 ** 20);
  const headroom = Math.min(8192, Math.max(1024, Math.floor(totalMB / 4)));
  const memoryMB = options.memoryMB ?? Math.max(256, totalMB - headroom);
  if (!(memoryMB > 0)) throw new RangeError(`LocalExecutor: memoryMB must be positive (got ${memoryMB})`);
  const defaultTaskMemoryMB =
    options.defaultTaskMemoryMB ?? Math.min(memoryMB, 4096, Math.max(128, Math.floor(memoryMB / maxWorkers)));
  if (!(defaultTaskMemoryMB > 0)) {
    throw new RangeError(`LocalExecutor: defaultTaskMemoryMB must be positive (got ${defaultTaskMemoryMB})`);
  }
  return { maxWorkers, memoryMB, defaultTaskMemoryMB };
}
