// The public API of the `valence-workflows` package: everything users and other packages may import. Anything
// not exported here is internal and may change.
export {
  electron,
  lattice,
  wait,
  Graph,
  isFuture,
  WorkflowError,
  type Electron,
  type Lattice,
  type Future,
  type FutureHandle,
  type Arg,
  type Args,
  type Resolved,
  type GraphNode,
  type GraphEdge,
  type ElectronOptions,
  type LatticeOptions,
  type Resources,
  type Hook,
  type WorkflowErrorCode,
  volume,
  taskContext,
  shell,
  type Volume,
  type TaskContext,
  type ShellOptions,
  type ShellOutput,
  type ShellArgs,
} from "./workflow";
export { runLocal, runGraph, type RunLocalOptions, type NodeUpdate } from "./client/run-local";
export { onRunEvent, type RunEvent, type RunListener } from "./client/run-events";
export {
  dispatch,
  dispatchSync,
  getResult,
  cancel,
  listDispatches,
  redispatch,
  type GetResultOptions,
  type DispatchOptions,
  type RedispatchOptions,
  type ListDispatchesOptions,
} from "./client/api";
export {
  timeTrigger,
  dirTrigger,
  listTriggers,
  stopTrigger,
  type DirTriggerOptions,
  type TriggerSpec,
  type TriggerRecord,
} from "./client/triggers";
export { Result, type NodeResult } from "./client/result";
export { Dispatch, type DispatchRef } from "./client/dispatch-handle";
export { display, clearOutput, type DisplayOptions, type MimeBundle } from "./display";
export { DispatcherError } from "./client/connection";
export { startDispatcher, type DispatcherOptions, type RunningDispatcher } from "./dispatcher/start";
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
} from "./executors/executor";
export { NotRun } from "./executors/executor";
export type { ExecutorFactory, ExecutorContext, ExecutorModule } from "./executors/plugin";
export { executorConformance, taskSpecFor, type ConformanceOptions } from "./testing";
export { LocalExecutor, type LocalExecutorOptions } from "./executors/local";
export { InlineExecutor, type InlineExecutorOptions } from "./executors/inline";
export {
  DAG_MIME_TYPE,
  type DagDocument,
  type DagNode,
  type DagEdge,
  type Status,
  type WorkerInfo,
  type DispatchSummary,
} from "@valence/schema";
