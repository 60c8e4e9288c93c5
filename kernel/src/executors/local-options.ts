// The local executor's options, documented where declared, and their defaults sized to the machine.
import { availableParallelism, totalmem } from "node:os";

export interface LocalExecutorOptions {
  /**
   * CPUs the executor hands out to running tasks (its `capacity.cpus`): a task reserves its
   * `resources.cpus` (default 1) while it runs, so this is also the most tasks of 1 CPU running at
   * once, each in its own worker thread. Idle workers kept warm for reuse never exceed this number
   * either. Default: `os.availableParallelism()`. Must be ≥ 1.
   */
  readonly maxWorkers?: number;
  /**
   * Memory, in MiB, the executor hands out to running tasks (its `capacity.memoryMB`): a task
   * reserves its `resources.memoryMB` (else `defaultTaskMemoryMB`) while it runs, and its worker's
   * V8 heap is limited to that. Default: `os.totalmem()` less a headroom of a quarter of it (at least
   * 1024 MiB, at most 8192 MiB) for the dispatcher and the system; never below 256.
   */
  readonly memoryMB?: number;
  /**
   * Heap limit, in MiB, of tasks that declare no `resources.memoryMB` (also what they reserve).
   * Default: `memoryMB / maxWorkers`, at most 4096, at least 128 (but not above `memoryMB`). Limits below ~64 MiB leave too
   * little room for the worker's own modules. Only the V8 heap is limited: memory held outside it
   * (Buffers, ArrayBuffers, native addons) is not.
   */
  readonly defaultTaskMemoryMB?: number;
}

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
