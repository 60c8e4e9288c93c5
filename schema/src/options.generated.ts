/* Generated from the JSON Schema beside it by `npm run schema:generate`. Do not edit. */

/**
 * The options users give to electron() and lattice(), checked when the electron or lattice is defined. Hooks are functions: `isFunction` is Valence's own keyword (workflow/schema-check.ts).
 */
export interface WorkflowOptions {
  electron?: ElectronOptions;
  lattice?: LatticeOptions;
}
/**
 * The options of `electron(fn, options)`.
 *
 * This interface was referenced by `WorkflowOptions`'s JSON-Schema
 * via the `definition` "electronOptions".
 */
export interface ElectronOptions {
  /**
   * Name shown in the graph and results. Default: the function's name, else "anonymous".
   */
  name?: string;
  /**
   * Executor that runs the task ("local", "inline", "bullmq", or a named config). Default: the lattice's, else "local".
   */
  executor?: string;
  resources?: Resources;
  /**
   * Extra attempts after a failure. Default 0.
   */
  retries?: number;
  /**
   * Wall-clock limit per attempt, in milliseconds, from when the task's own code starts (after its worker rebuilt the electron and installed its `deps`); the attempt fails when it is exceeded. Default: none.
   */
  timeoutMs?: number;
  /**
   * What the task needs where it runs, prepared once per machine (per set) before its first task there.
   */
  deps?: {
    /**
     * npm packages, installed into an environment the electron's `require` and `import()` resolve from.
     */
    npm?: string[];
    /**
     * Commands run with bash, in order, before the npm packages are installed; a command that fails fails the task (and the next task tries again).
     */
    bash?: string[];
  };
  /**
   * Hooks run on the worker before the task.
   */
  callBefore?: (() => unknown) | Array<() => unknown>;
  /**
   * Hooks run on the worker after the task.
   */
  callAfter?: (() => unknown) | Array<() => unknown>;
  /**
   * Reuse a stored output when code and inputs are unchanged. Default false.
   */
  cache?: boolean;
  /**
   * How many items the output has, when it is an array. Lets `for…of` and spread iterate the future in a lattice body; destructuring works without it.
   */
  outputLength?: number;
}
/**
 * What a task needs from the machine that runs it; the scheduler never overcommits these.
 */
export interface Resources {
  /**
   * CPU cores reserved for the task. Default 1.
   */
  cpus?: number;
  /**
   * Memory reserved and enforced for the task, in MiB. Default: the executor's per-task default.
   */
  memoryMB?: number;
  /**
   * GPUs the task needs; such tasks only go where GPUs are declared. Default 0.
   */
  gpus?: number;
}
/**
 * The options of `lattice(fn, options)`.
 *
 * This interface was referenced by `WorkflowOptions`'s JSON-Schema
 * via the `definition` "latticeOptions".
 */
export interface LatticeOptions {
  /**
   * Name of the workflow. Default: the function's name, else "anonymous".
   */
  name?: string;
  /**
   * Default executor for the lattice's electrons that name none.
   */
  executor?: string;
  /**
   * Default `cache` for the lattice's electrons that set none.
   */
  cache?: boolean;
}
