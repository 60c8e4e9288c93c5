// The test kit for executor authors, as the public API exports it: the conformance suite and task
// specs, loaded on first call so that importing `valence-workflows` does not load node:test into every
// process. `executorConformance("mine", () => createExecutor({}, { name: "mine", dataDir }))`.
import type { ConformanceOptions } from "./conformance";
import type { Executor, TaskSpec } from "../executors/executor";

type Conformance = typeof import("./conformance");
// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first call (see above)
const conformance = (): Conformance => require("./conformance") as Conformance;

/**
 * Registers node:test tests that every executor passes: outputs and structured values, failures
 * with their stack, logs kept apart per task, hooks, concurrency, abort, close.
 */
export function executorConformance(
  name: string,
  make: () => Executor | Promise<Executor>,
  options: ConformanceOptions = {},
): void {
  conformance().executorConformance(name, make, options);
}

/** A task spec for an electron and its arguments, as a dispatcher submits it. */
export function taskSpecFor(
  target: Parameters<Conformance["taskSpecFor"]>[0],
  args: unknown[],
  overrides: Partial<TaskSpec> = {},
): TaskSpec {
  return conformance().taskSpecFor(target, args, overrides);
}

export type { ConformanceOptions };
