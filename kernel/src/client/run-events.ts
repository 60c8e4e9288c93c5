// Runs announce themselves here so a front end that did not start them can still show them: the
// `valence run` CLI draws a progress bar for every run a user's script starts.
import type { NodeKind, Status } from "@valence/schema";

/** One node's change in a run (runLocal's onNodeUpdate, and run events). */
export interface NodeUpdate {
  readonly node: number;
  readonly name: string;
  readonly status: Status;
  readonly attempt?: number;
  readonly error?: unknown;
  /** Why it has not started yet, while its executor holds it (no worker can take it). */
  readonly waiting?: string;
}

/** What a run event says about the graph: a built Graph, or the transport graph of a dispatch. */
export interface RunGraph {
  readonly latticeName: string;
  readonly nodes: ReadonlyArray<{ readonly kind: NodeKind; readonly name: string }>;
}

export type RunEvent =
  | { readonly type: "start"; readonly graph: RunGraph }
  | { readonly type: "node"; readonly graph: RunGraph; readonly update: NodeUpdate }
  | { readonly type: "end"; readonly graph: RunGraph; readonly error?: unknown };

export type RunListener = (event: RunEvent) => void;

const listeners = new Set<RunListener>();

/** Subscribes to every run in this process; returns the unsubscribe function. */
export function onRunEvent(listener: RunListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Whether anything listens: a run nobody watches need not stream its updates here. */
export function hasRunListeners(): boolean {
  return listeners.size > 0;
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
