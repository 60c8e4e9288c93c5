// How a thrown value becomes a task's error: name, message and the stack without Valence's own
// frames below the user's function, so an error points at the user's code (frames of functions
// written in a notebook cell at that cell's lines). Shared by every executor.
import { mapStack } from "../workflow/serialize/origins";
import type { TaskError } from "./executor";

export function taskError(error: unknown): TaskError {
  if (!(error instanceof Error)) return { name: "Error", message: String(error) };
  return {
    name: error.name,
    message: error.message,
    ...(error.stack ? { stack: mapStack(userFrames(error.stack)) } : {}),
  };
}

/** The stack without the frames of Valence's task runtime and worker below the user's function. */
function userFrames(stack: string): string {
  const lines = stack.split("\n");
  const ours = lines.findIndex((line) => /executors[\\/](task-runtime|local-worker)\.[jt]s/.test(line));
  return ours > 0 ? lines.slice(0, ours).join("\n") : stack;
}
