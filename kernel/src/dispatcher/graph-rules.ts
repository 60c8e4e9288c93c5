// The rules a transport graph keeps beyond its schema, checked before a dispatch is stored and again
// before a stored one is resumed: every index in range, argument positions within the target's arity
// (an edge at position 2^31 - 1 once made a call with 2^31 arguments and took the dispatcher down at
// every start), no cycles (a cycle never finishes) and electron specs whose references resolve.
import type { TransportOutputDocument } from "@valence/schema";
import type { ElectronSpec } from "../workflow/serialize";
import { EDGE_LETTERS, type TransportGraph } from "../workflow/transport";
import type { GraphIndex } from "./graph-index";

/** How deep a dispatch's output structure may nest (arrays and objects in `graph.output`). */
export const MAX_OUTPUT_DEPTH = 64;

/** The first rule `graph` breaks, as a sentence naming the field; undefined when it keeps them all. */
export function graphProblem(graph: TransportGraph, index: GraphIndex): string | undefined {
  return (
    electronProblem(graph.electrons) ??
    edgeProblem(graph, index) ??
    nodeProblem(index) ??
    outputProblem(graph.output, index.size, "graph.output", 0) ??
    cycleProblem(index)
  );
}

/** A lattice spec's (the request's `lattice`) references. */
export function latticeProblem(lattice: {
  functions: readonly unknown[];
  lattice: { fn: number };
}): string | undefined {
  const { fn } = lattice.lattice;
  return fn < lattice.functions.length
    ? undefined
    : `lattice.lattice.fn is ${fn}, but lattice.functions has ${lattice.functions.length} entries`;
}

/**
 * The first electron spec whose references do not resolve, as a sentence; `where` names spec e
 * (default: the graph's `graph.electrons[e]`).
 */
export function electronProblem(
  electrons: readonly ElectronSpec[],
  where = (e: number): string => `graph.electrons[${e}]`,
): string | undefined {
  for (let e = 0; e < electrons.length; e++) {
    const { functions, electron } = electrons[e]!;
    const at = where(e);
    const outOfRange = (path: string, fn: number): string | undefined =>
      fn < functions.length ? undefined : `${at}.${path} is ${fn}, but ${at}.functions has ${functions.length} entries`;
    const problem =
      outOfRange("electron.fn", electron.fn) ??
      electron.callBefore.map((fn, k) => outOfRange(`electron.callBefore[${k}]`, fn)).find(Boolean) ??
      electron.callAfter.map((fn, k) => outOfRange(`electron.callAfter[${k}]`, fn)).find(Boolean) ??
      (electron.sublattice ? outOfRange("electron.sublattice.fn", electron.sublattice.fn) : undefined);
    if (problem) return problem;
    for (let f = 0; f < functions.length; f++) {
      for (const [name, binding] of Object.entries(functions[f]!.bindings)) {
        if (binding.kind !== "function") continue;
        const fn: unknown = binding.fn;
        if (!(Number.isInteger(fn) && (fn as number) >= 0 && (fn as number) < functions.length)) {
          return `${at}.functions[${f}].bindings.${name}.fn is ${String(fn)}, but ${at}.functions has ${functions.length} entries`;
        }
      }
    }
  }
  return undefined;
}

/** Positions within the arity of their target (its number of data inputs); dict keys on real edges. */
function edgeProblem(graph: TransportGraph, index: GraphIndex): string | undefined {
  const { edges } = graph;
  const m = edges.source.length;
  const arity = new Int32Array(index.size);
  const DATA = EDGE_LETTERS.data.charCodeAt(0);
  for (let e = 0; e < m; e++) if (edges.kind.charCodeAt(e) === DATA) arity[edges.target[e]!]!++;
  for (let e = 0; e < m; e++) {
    const position = edges.position[e]!;
    const target = edges.target[e]!;
    if (position >= arity[target]!) {
      return `graph.edges.position[${e}] is ${position}, but node ${target} has ${arity[target]} data input(s)`;
    }
  }
  for (const key of Object.keys(edges.keys ?? {})) {
    if (!(Number(key) < m)) return `graph.edges.keys names edge ${key}, but the graph has ${m} edges`;
  }
  return undefined;
}

/** Parameters have no inputs; getitem and getattr read exactly one; tasks name a spec that can run them. */
function nodeProblem(index: GraphIndex): string | undefined {
  const counts = index.dependencyCounts();
  for (let i = 0; i < index.size; i++) {
    const kind = index.kind(i);
    if (kind === "parameter" && counts[i]! > 0) return `node ${i} is a parameter, which takes no inputs`;
    const inputs = index.dataInputCount(i);
    if ((kind === "getitem" || kind === "getattr") && inputs !== 1) {
      return `node ${i} is a ${kind} node with ${inputs} data inputs, not 1`;
    }
    if (kind === "sublattice") {
      const spec = index.electrons[index.electronIndex(i) ?? -1];
      if (spec && !spec.electron.sublattice) return `node ${i} is a sublattice whose electron spec has no sublattice`;
    }
  }
  return undefined;
}

function outputProblem(output: TransportOutputDocument, size: number, path: string, depth: number): string | undefined {
  if (depth > MAX_OUTPUT_DEPTH) return `${path} nests deeper than ${MAX_OUTPUT_DEPTH} levels`;
  switch (output.kind) {
    case "future":
      return output.node < size ? undefined : `${path}.node is ${output.node}, but the graph has ${size} nodes`;
    case "array":
      for (let k = 0; k < output.items.length; k++) {
        const problem = outputProblem(output.items[k]!, size, `${path}.items[${k}]`, depth + 1);
        if (problem) return problem;
      }
      return undefined;
    case "object":
      for (const [key, value] of Object.entries(output.entries)) {
        const problem = outputProblem(value, size, `${path}.entries.${key}`, depth + 1);
        if (problem) return problem;
      }
      return undefined;
    default:
      return undefined;
  }
}

/** Kahn's algorithm over the dependants' CSR: nodes never freed by their dependencies lie on (or after) a cycle. */
function cycleProblem(index: GraphIndex): string | undefined {
  const counts = index.dependencyCounts();
  const { start, targets } = index.csr;
  const ready = new Int32Array(index.size);
  let pushed = 0;
  for (let i = 0; i < index.size; i++) if (counts[i] === 0) ready[pushed++] = i;
  for (let popped = 0; popped < pushed; popped++) {
    const id = ready[popped]!;
    for (let k = start[id]!; k < start[id + 1]!; k++) if (--counts[targets[k]!]! === 0) ready[pushed++] = targets[k]!;
  }
  if (pushed === index.size) return undefined;
  const stuck = counts.findIndex((count) => count > 0);
  const self = index.dependantsOf(stuck).includes(stuck);
  return self
    ? `node ${stuck} ("${index.name(stuck)}") depends on itself`
    : `the graph has a cycle: node ${stuck} ("${index.name(stuck)}") can never run`;
}
