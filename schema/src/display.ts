// Display rules shared by everything that shows a DAG — the kernel's static SVG and text, the
// client's Result, the CLI, the JupyterLab extension: the MIME type, the statuses (which are final),
// which nodes are tasks, and what each node's label says. Browser-safe (no imports but types); the extension gets a copy of this file
// (extension/scripts/sync-schema.mjs), so it must import nothing but the generated types.
import type { DagNode, Status } from "./dag.generated";

/** The MIME type of a lattice's DAG in a notebook output (schema/dag.schema.json). */
export const DAG_MIME_TYPE = "application/vnd.valence.dag+json";

/** Every status, in the order a node goes through them (the dispatcher stores a status as its index here). */
export const STATUSES = [
  "NEW_OBJECT",
  "PENDING",
  "RUNNING",
  "COMPLETED",
  "FAILED",
  "CANCELLED",
] as const satisfies readonly Status[];
// Fails to compile when dag.schema.json gains a status this list lacks.
const allStatuses: Exclude<Status, (typeof STATUSES)[number]> extends never ? true : never = true;
void allStatuses;

export function isStatus(text: string): text is Status {
  return (STATUSES as readonly string[]).includes(text);
}

/** Whether the node runs (an electron or a sublattice); the others resolve at once and are not counted. */
export function isTaskNode(node: Pick<DagNode, "kind">): boolean {
  return node.kind === "electron" || node.kind === "sublattice";
}

/** The statuses a dispatch or a node never leaves. */
export const FINAL_STATUSES: readonly Status[] = ["COMPLETED", "FAILED", "CANCELLED"];

export function isFinal(status: string): boolean {
  return (FINAL_STATUSES as readonly string[]).includes(status);
}

/** Longest label drawn in full; longer ones end in an ellipsis (a tooltip has the whole text). */
export const MAX_LABEL_CHARS = 28;

/** What a node is, in full, on one line: an electron's name, a parameter's value, `[key]`, `.name`. */
export function fullLabel(node: Pick<DagNode, "kind" | "name" | "key" | "value">): string {
  switch (node.kind) {
    case "parameter":
      return oneLine(node.value?.preview ?? node.name);
    case "getitem":
      return `[${oneLine(String(node.key ?? "?"))}]`;
    case "getattr":
      return `.${oneLine(String(node.key ?? "?"))}`;
    case "list":
      return "[ … ]";
    case "dict":
      return "{ … }";
    default:
      return oneLine(node.name);
  }
}

/** The label drawn inside a node: its full label, cut to MAX_LABEL_CHARS. */
export function nodeLabel(node: Pick<DagNode, "kind" | "name" | "key" | "value">): string {
  return truncate(fullLabel(node), MAX_LABEL_CHARS);
}

/** Whitespace runs (newlines included) as one space. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/** `text` cut to `max` characters, the last an ellipsis; by code point, so no emoji is split in half. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join("")}…`;
}
