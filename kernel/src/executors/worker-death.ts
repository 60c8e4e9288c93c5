// What a task's error says when its worker thread ended under it: out of memory, an uncaught exception
// thrown outside the task's own promise chain, or process.exit().
import type { TaskError } from "./executor";
import { taskError } from "./task-error";

/** The error of electron `name`'s task, whose worker ended with `code` (and `crash`, the thread's error, if any). */
export function deathError(name: string, code: number, crash: Error | undefined, limitMB: number): TaskError {
  const who = `electron "${name}"`;
  if ((crash as (Error & { code?: string }) | undefined)?.code === "ERR_WORKER_OUT_OF_MEMORY") {
    return { name: "WorkerOutOfMemoryError", message: `${who}: worker ran out of memory (limit ${limitMB} MB)` };
  }
  if (crash) {
    const cause = taskError(crash);
    return {
      ...cause,
      message: `${who}: an uncaught ${cause.name} crashed its worker (thrown outside the task's own promise chain, e.g. in a callback or timer): ${cause.message}`,
    };
  }
  return {
    name: "WorkerExitError",
    message: `${who}: its worker exited with code ${code} before the task finished (process.exit() ends the worker)`,
  };
}
