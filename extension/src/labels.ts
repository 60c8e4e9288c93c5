// What each node shows: a short label and a tooltip, by node kind (see NodeKind in the schema).
import type { DagNode } from "./schema/dag.generated";

/** Longest label drawn in full; longer ones end in an ellipsis (the tooltip has the whole text). */
export const MAX_LABEL_CHARS = 28;

const truncate = (text: string): string =>
  text.length <= MAX_LABEL_CHARS ? text : `${text.slice(0, MAX_LABEL_CHARS - 1)}…`;

function fullLabel(node: DagNode): string {
  switch (node.kind) {
    case "parameter":
      return node.value?.preview ?? node.name;
    case "getitem":
      return `[${node.key ?? "?"}]`;
    case "getattr":
      return `.${node.key ?? "?"}`;
    case "list":
      return "[ … ]";
    case "dict":
      return "{ … }";
    case "electron":
    case "sublattice":
      return node.name;
  }
}

export function nodeLabel(node: DagNode): string {
  return truncate(fullLabel(node));
}

export function nodeTooltip(node: DagNode): string {
  const status = node.status ?? "NEW_OBJECT";
  return `${fullLabel(node)}\n${node.kind} · ${status} · node ${node.id}`;
}
