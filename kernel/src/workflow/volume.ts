// Volumes: workflow-wide persistent storage, attached at dispatch — `ct.dispatch(wf, { volume:
// ct.volume("data") })` — and seen by every task of the dispatch as a directory that outlives it.
// Names are plain words: they can never point outside the dispatcher's volumes directory.
import { WorkflowError } from "./errors";

export interface Volume {
  readonly kind: "volume";
  readonly name: string;
}

const VOLUME_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Why `name` is not a volume name, or undefined when it is one. */
export function volumeNameProblem(name: unknown): string | undefined {
  if (typeof name !== "string" || !VOLUME_NAME.test(name) || name.includes("..")) {
    return (
      `${JSON.stringify(name)} is not a volume name: use letters, digits, ".", "_" and "-" ` +
      `(no "/", no "..", at most 128 characters)`
    );
  }
  return undefined;
}

export function volume(name: string): Volume {
  const problem = volumeNameProblem(name);
  if (problem) throw new WorkflowError("INVALID_OPTIONS", problem);
  return { kind: "volume", name };
}
