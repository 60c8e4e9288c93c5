// The lattice's return value: checked when the dry run ends, described for the DAG document, and
// resolved into the result by replacing each future with its node's output.
import type { OutputStructure, ValuePreview } from "@valence/schema";
import { WorkflowError } from "./errors";
import { futureOf, isFuture } from "./future";
import { previewValue } from "./preview";
import { isPlainObject } from "./structure";

export function checkReturnValue(value: unknown, latticeName: string): void {
  if (value === undefined) {
    throw new WorkflowError(
      "LATTICE_RETURNED_NOTHING",
      `lattice "${latticeName}" returned nothing. Return the futures whose values you want as the result ` +
        `(one future, or an array or object of them).`,
    );
  }
  if (!isFuture(value) && value instanceof Promise) {
    // The async body resolves to futures, whose `then` throws: without this, refusing the lattice
    // would also leave an unhandled rejection that ends the process.
    value.catch(() => undefined);
    throw new WorkflowError(
      "LATTICE_ASYNC",
      `lattice "${latticeName}" returned a promise: lattice bodies are dry runs and must be synchronous. ` +
        `Remove "async" from the lattice function; put asynchronous work inside electrons.`,
    );
  }
}

/** A return structure whose non-future leaves are `Leaf`s. */
export type ReturnStructure<Leaf> =
  | { kind: "future"; node: number }
  | { kind: "array"; items: ReturnStructure<Leaf>[] }
  | { kind: "object"; entries: { [key: string]: ReturnStructure<Leaf> } }
  | Leaf;

const previewLeaf = (value: unknown): { kind: "value"; value: ValuePreview } => ({
  kind: "value",
  value: previewValue(value),
});

/** The return structure with futures as `{ kind: "future", node }` and other values made by `leaf` (a preview by default). */
export function outputStructure(value: unknown): OutputStructure;
export function outputStructure<Leaf>(value: unknown, leaf: (value: unknown) => Leaf): ReturnStructure<Leaf>;
export function outputStructure(value: unknown, leaf: (value: unknown) => unknown = previewLeaf): unknown {
  const future = futureOf(value);
  if (future) return { kind: "future", node: future.node };
  if (Array.isArray(value)) return { kind: "array", items: value.map((item: unknown) => outputStructure(item, leaf)) };
  if (isPlainObject(value)) {
    const entries: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) entries[key] = outputStructure(item, leaf);
    return { kind: "object", entries };
  }
  return leaf(value);
}

/** The lattice's result: `value` with every future replaced by `outputOf(node)`. */
export function resolveOutput(value: unknown, outputOf: (node: number) => unknown): unknown {
  const future = futureOf(value);
  if (future) return outputOf(future.node);
  if (Array.isArray(value)) return value.map((item: unknown) => resolveOutput(item, outputOf));
  if (isPlainObject(value)) {
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) result[key] = resolveOutput(item, outputOf);
    return result;
  }
  return value;
}

/** Ids of the nodes the result needs, in the order they appear in the return structure. */
export function outputNodes(structure: OutputStructure, into: number[] = []): number[] {
  if (structure.kind === "future") into.push(structure.node);
  else if (structure.kind === "array") structure.items.forEach((item) => outputNodes(item, into));
  else if (structure.kind === "object") Object.values(structure.entries).forEach((item) => outputNodes(item, into));
  return into;
}
