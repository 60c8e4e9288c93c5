/* Generated from the JSON Schema beside it by `npm run schema:generate`. Do not edit. */

/**
 * One named executor: its `type` and the options that type takes (every other property).
 *
 * This interface was referenced by `ValenceConfig`'s JSON-Schema
 * via the `definition` "executorEntry".
 */
export type ExecutorEntry = ExecutorEntry1;

/**
 * Valence's configuration, read by the dispatcher when it starts. Found at `valence start --config <file>`, else $VALENCE_CONFIG, else valence.config.json in the current directory or the nearest parent, else $XDG_CONFIG_HOME/valence/config.json (default ~/.config/valence/config.json). Without a file: the built-in local and inline executors, local by default.
 */
export interface ValenceConfig {
  /**
   * The JSON Schema of this file, for editors: e.g. ./node_modules/@valence/schema/config.schema.json.
   */
  $schema?: string;
  /**
   * The executor of electrons whose options name none: a built-in (local, inline, bullmq) or a name under `executors`. Default "local".
   */
  defaultExecutor?: string;
  /**
   * Named executors, in addition to the built-in local, inline and bullmq: an electron picks one with its `executor` option. A name may also replace a built-in one (e.g. "bullmq" with its own Redis). Default: none.
   */
  executors?: {
    [k: string]: ExecutorEntry;
  };
  local?: LocalExecutorConfig;
  inline?: InlineExecutorConfig;
}
export interface ExecutorEntry1 {
  /**
   * "local", "inline", "bullmq", or the name of an npm package exporting createExecutor(options, context) — resolved from this file's directory, then from Valence's own; a path starting with ./ or ../ is taken relative to this file.
   */
  type: string;
  [k: string]: unknown;
}
/**
 * Options of the built-in "local" executor (worker threads on the dispatcher's machine). Default: sized to the machine.
 *
 * This interface was referenced by `ValenceConfig`'s JSON-Schema
 * via the `definition` "localOptions".
 */
export interface LocalExecutorConfig {
  /**
   * CPUs the executor hands out to running tasks (its `capacity.cpus`): a task reserves its `resources.cpus` (default 1) while it runs, so this is also the most tasks of 1 CPU running at once, each in its own worker thread. Idle workers kept warm for reuse never exceed this number either. Default: the machine's available parallelism (`os.availableParallelism()`).
   */
  maxWorkers?: number;
  /**
   * Memory, in MiB, the executor hands out to running tasks (its `capacity.memoryMB`): a task reserves its `resources.memoryMB` (else `defaultTaskMemoryMB`) while it runs, and its worker's V8 heap is limited to that. Default: the machine's total memory less a headroom of a quarter of it (at least 1024 MiB, at most 8192 MiB) for the dispatcher and the system; never below 256.
   */
  memoryMB?: number;
  /**
   * Heap limit, in MiB, of tasks that declare no `resources.memoryMB` (also what they reserve). Default: `memoryMB / maxWorkers`, at most 4096, at least 128 (but not above `memoryMB`). Limits below ~64 MiB leave too little room for the worker's own modules. Only the V8 heap is limited: memory held outside it (Buffers, ArrayBuffers, native addons) is not.
   */
  defaultTaskMemoryMB?: number;
}
/**
 * Options of the built-in "inline" executor (tasks in the dispatcher's own event loop). Default: sized to the machine.
 *
 * This interface was referenced by `ValenceConfig`'s JSON-Schema
 * via the `definition` "inlineOptions".
 */
export interface InlineExecutorConfig {
  /**
   * How many tasks the dispatcher may have in flight on the inline executor at once (its `capacity.cpus`; a task counts its `resources.cpus`). Not enforced by the executor itself: inline tasks share the dispatcher's thread. Default: the machine's available parallelism.
   */
  concurrency?: number;
  /**
   * Memory, in MiB, the dispatcher may hand out to inline tasks (`capacity.memoryMB`). Bookkeeping only: inline tasks share the dispatcher's heap and nothing is enforced. Default: unlimited.
   */
  memoryMB?: number;
}
/**
 * This interface was referenced by `ValenceConfig`'s JSON-Schema
 * via the `definition` "localEntry".
 */
export interface LocalEntry {
  type?: "local";
  /**
   * CPUs the executor hands out to running tasks (its `capacity.cpus`): a task reserves its `resources.cpus` (default 1) while it runs, so this is also the most tasks of 1 CPU running at once, each in its own worker thread. Idle workers kept warm for reuse never exceed this number either. Default: the machine's available parallelism (`os.availableParallelism()`).
   */
  maxWorkers?: number;
  /**
   * Memory, in MiB, the executor hands out to running tasks (its `capacity.memoryMB`): a task reserves its `resources.memoryMB` (else `defaultTaskMemoryMB`) while it runs, and its worker's V8 heap is limited to that. Default: the machine's total memory less a headroom of a quarter of it (at least 1024 MiB, at most 8192 MiB) for the dispatcher and the system; never below 256.
   */
  memoryMB?: number;
  /**
   * Heap limit, in MiB, of tasks that declare no `resources.memoryMB` (also what they reserve). Default: `memoryMB / maxWorkers`, at most 4096, at least 128 (but not above `memoryMB`). Limits below ~64 MiB leave too little room for the worker's own modules. Only the V8 heap is limited: memory held outside it (Buffers, ArrayBuffers, native addons) is not.
   */
  defaultTaskMemoryMB?: number;
}
/**
 * This interface was referenced by `ValenceConfig`'s JSON-Schema
 * via the `definition` "inlineEntry".
 */
export interface InlineEntry {
  type?: "inline";
  /**
   * How many tasks the dispatcher may have in flight on the inline executor at once (its `capacity.cpus`; a task counts its `resources.cpus`). Not enforced by the executor itself: inline tasks share the dispatcher's thread. Default: the machine's available parallelism.
   */
  concurrency?: number;
  /**
   * Memory, in MiB, the dispatcher may hand out to inline tasks (`capacity.memoryMB`). Bookkeeping only: inline tasks share the dispatcher's heap and nothing is enforced. Default: unlimited.
   */
  memoryMB?: number;
}
/**
 * Options of a BullMQ executor: what a `bullmq` entry takes besides its `type`, and what `new BullMQExecutor(options)` takes.
 *
 * This interface was referenced by `ValenceConfig`'s JSON-Schema
 * via the `definition` "bullmqOptions".
 */
export interface BullMQExecutorConfig {
  /**
   * The Redis server: `redis://[user:password@]host:port[/db]`, or `rediss://…` for TLS. Default: $VALENCE_REDIS_URL, else redis://127.0.0.1:6379.
   */
  redis?: string;
  /**
   * The BullMQ queue tasks go to; `valence worker --queue <name>` must name the same one. Letters, digits, _ and -. Default "valence".
   */
  queue?: string;
  /**
   * BullMQ's key prefix: every Redis key of the queue starts with it. Letters, digits, _ and -. Default BullMQ's own, "bull".
   */
  prefix?: string;
  /**
   * How long (ms) a task may wait for a worker able to run it (none connected offers the GPUs, CPUs or memory it needs) before its attempt fails with NoWorkerError. Time queued behind busy capable workers does not count. Default: none (it waits until such a worker connects).
   */
  waitTimeoutMs?: number;
}
/**
 * A BullMQ executor: ready tasks become jobs in Redis, run by `valence worker` processes on any machine. Connects only when a task is first submitted to it.
 *
 * This interface was referenced by `ValenceConfig`'s JSON-Schema
 * via the `definition` "bullmqEntry".
 */
export interface BullmqEntry {
  type?: "bullmq";
  /**
   * The Redis server: `redis://[user:password@]host:port[/db]`, or `rediss://…` for TLS. Default: $VALENCE_REDIS_URL, else redis://127.0.0.1:6379.
   */
  redis?: string;
  /**
   * The BullMQ queue tasks go to; `valence worker --queue <name>` must name the same one. Letters, digits, _ and -. Default "valence".
   */
  queue?: string;
  /**
   * BullMQ's key prefix: every Redis key of the queue starts with it. Letters, digits, _ and -. Default BullMQ's own, "bull".
   */
  prefix?: string;
  /**
   * How long (ms) a task may wait for a worker able to run it (none connected offers the GPUs, CPUs or memory it needs) before its attempt fails with NoWorkerError. Time queued behind busy capable workers does not count. Default: none (it waits until such a worker connects).
   */
  waitTimeoutMs?: number;
}
