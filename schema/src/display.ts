// Display rules shared by everything that shows a DAG — the kernel's static SVG and text, the
// client's Result, the JupyterLab extension: the MIME type, which statuses are final, and what each
// node's label says. Browser-safe (no imports but types); the extension gets a copy of this file
// (extension/scripts/sync-schema.mjs), so it must import nothing but the generated types.
import type { DagNode, Status } from "./dag.generated";

/** The MIME type of a lattice's DAG in a notebook output (schema/dag.schema.json). */
export const DAG_MIME_TYPE = "application/vnd.valence.dag+json";

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
