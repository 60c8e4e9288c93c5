// Nodes the dispatcher resolves itself, without an executor round trip: parameters (already
// serialized), and the list / dict / getitem / getattr nodes that regroup or pick from outputs.
import type { GraphEdge } from "../workflow/graph";
import type { TransportNode } from "../workflow/transport";
import { callArguments, helperValue } from "../workflow/helper-values";
import { decode, encode, fromBase64 } from "./values";

export function isTask(node: TransportNode): boolean {
  return node.kind === "electron" || node.kind === "sublattice";
}

/** Arguments in call order, decoded. */
export function decodeArguments(inputs: readonly GraphEdge[], outputOf: (node: number) => Uint8Array): unknown[] {
  return callArguments(inputs, (n) => decode(outputOf(n)));
}

export function resolveHelper(
  node: TransportNode,
  inputs: readonly GraphEdge[],
  outputOf: (node: number) => Uint8Array,
): Uint8Array {
  if (node.kind === "parameter") return fromBase64(node.value ?? "");
  return encode(helperValue(node, inputs, (n) => decode(outputOf(n))));
}
