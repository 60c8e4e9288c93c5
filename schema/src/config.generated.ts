/* Generated from the JSON Schema beside it by `npm run schema:generate`. Do not edit. */

/**
 * One named executor: its `type` and the options that type takes (every other property).
 */
export type ExecutorEntry = ExecutorEntry1;
/**
 * CPUs the local executor hands out to running tasks: at most this many 1-CPU tasks run at once, each in its own worker thread. Default: the machine's available parallelism.
 */
export type MaxWorkers = number;
/**
 * Memory, in MiB, the local executor hands out to running tasks (each task's worker heap is limited to what it reserves). Default: total memory less a quarter of it (at least 1024, at most 8192 MiB kept back); never below 256.
 */
export type LocalMemoryMB = number;
/**
 * Heap limit, in MiB, of tasks that declare no resources.memoryMB. Default: memoryMB / maxWorkers, between 128 and 4096.
 */
export type DefaultTaskMemoryMB = number;
/**
 * How many CPUs' worth of tasks may run inline at once (not enforced: inline tasks share the dispatcher's thread). Default: the machine's available parallelism.
 */
export type Concurrency = number;
/**
 * Memory, in MiB, the dispatcher may hand out to inline tasks (bookkeeping only). Default: unlimited.
 */
export type InlineMemoryMB = number;

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
 */
export interface LocalExecutorConfig {
  maxWorkers?: MaxWorkers;
  memoryMB?: LocalMemoryMB;
  defaultTaskMemoryMB?: DefaultTaskMemoryMB;
}
/**
 * Options of the built-in "inline" executor (tasks in the dispatcher's own event loop). Default: sized to the machine.
 */
export interface InlineExecutorConfig {
  concurrency?: Concurrency;
  memoryMB?: InlineMemoryMB;
}
