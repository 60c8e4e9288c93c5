// One error class for every misuse of the workflow API, with a stable code that tests and tools can
// match on; the message names the electron or lattice and says what to do instead.

export type WorkflowErrorCode =
  | "INVALID_OPTIONS"
  | "ELECTRON_OUTSIDE_LATTICE"
  | "FUTURE_MISUSE"
  | "UNBOUNDED_ITERATION"
  | "LATTICE_RETURNED_NOTHING"
  | "LATTICE_ASYNC"
  | "WAIT_CYCLE"
  | "FUTURE_OUTSIDE_BUILD"
  | "NOT_SERIALIZABLE"
  | "TASK_FAILED";

export class WorkflowError extends Error {
  override readonly name = "WorkflowError";
  constructor(
    readonly code: WorkflowErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
