// Runs announce themselves here so a front end that did not start them can still show them: the
// `valence run` CLI draws a progress bar for every run a user's script starts.
import type { Graph } from "../workflow/graph";
import type { NodeUpdate } from "./run-local";

export type RunEvent =
  | { readonly type: "start"; readonly graph: Graph }
  | { readonly type: "node"; readonly graph: Graph; readonly update: NodeUpdate }
  | { readonly type: "end"; readonly graph: Graph; readonly error?: unknown };

export type RunListener = (event: RunEvent) => void;

const listeners = new Set<RunListener>();

/** Subscribes to every run in this process; returns the unsubscribe function. */
export function onRunEvent(listener: RunListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function emitRunEvent(event: RunEvent): void {
  for (const listener of listeners) {
    try {
      listener(event);
    } catch {
      // A broken progress display must never fail the user's workflow.
    }
  }
}
