// Nodes the dispatcher resolves itself, without an executor round trip: parameters (already
// serialized), and the list / dict / getitem / getattr nodes that regroup or pick from outputs.
import type { GraphEdge } from "../workflow/graph";
import type { TransportNode } from "../workflow/transport";
import { decode, encode, fromBase64 } from "./values";

export function isTask(node: TransportNode): boolean {
  return node.kind === "electron" || node.kind === "sublattice";
}

/** Arguments in call order, decoded. */
export function decodeArguments(inputs: readonly GraphEdge[], outputOf: (node: number) => Uint8Array): unknown[] {
  const args: unknown[] = [];
  for (const edge of inputs) args[edge.position ?? args.length] = decode(outputOf(edge.source));
  return args;
}

export function resolveHelper(
  node: TransportNode,
  inputs: readonly GraphEdge[],
  outputOf: (node: number) => Uint8Array,
): Uint8Array {
  switch (node.kind) {
    case "parameter":
      return fromBase64(node.value ?? "");
    case "list":
      return encode(decodeArguments(inputs, outputOf));
    case "dict": {
      const value: Record<string, unknown> = {};
      for (const edge of inputs) value[edge.key!] = decode(outputOf(edge.source));
      return encode(value);
    }
    case "getitem":
    case "getattr": {
      const parent = decode(outputOf(inputs[0]!.source));
      if (parent === null || parent === undefined) {
        throw new TypeError(
          `cannot read ${node.kind === "getitem" ? "index" : "property"} ${String(node.key)} of ${String(parent)}`,
        );
      }
      return encode((parent as Record<string | number, unknown>)[node.key!]);
    }
    default:
      throw new Error(`node ${node.id} (${node.kind}) is a task, not a helper node`);
  }
}
