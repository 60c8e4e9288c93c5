// Executors run tasks: one interface (executor.ts), the built-in implementations, and the
// conformance suite every executor passes.
export type {
  Executor,
  ExecutorCapacity,
  TaskSpec,
  TaskOutcome,
  TaskError,
  LogLine,
  SerializedValue,
  SubmitOptions,
  FollowUp,
} from "./executor";
export { NotRun } from "./executor";
export { InlineExecutor, type InlineExecutorOptions } from "./inline";
export { LocalExecutor, type LocalExecutorOptions } from "./local";
