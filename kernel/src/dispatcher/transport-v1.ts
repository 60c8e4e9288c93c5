// Version 1 transport graphs — an object per node and edge — as older clients send them and older
// dispatchers stored them, turned into version 2's columns (workflow/transport.ts) on arrival, so the
// rest of the dispatcher reads one form.
import type { ElectronOptionsDocument, TransportGraphV1Document } from "@valence/schema";
import { Interner } from "../workflow/interner";
import type { ElectronSpec } from "../workflow/serialize";
import { EDGE_LETTERS, KIND_LETTERS, type TransportGraph } from "../workflow/transport";

export type TransportGraphV1 = Omit<TransportGraphV1Document, "electrons"> & {
  readonly electrons: readonly ElectronSpec[];
};

/** The graph in version 2's form: a version 1 graph converted; throws a RangeError naming what is wrong in one. */
export function asColumns(graph: TransportGraph | TransportGraphV1): TransportGraph {
  if (graph.version !== 1) return graph;
  const { nodes, edges } = graph;
  const names = new Interner<string>();
  // Equal options documents are sent once (by their JSON text).
  const options = new Interner<string, ElectronOptionsDocument>();
  const values: Buffer[] = [];
  const keys: Record<string, string | number> = {};
  const columns = { kind: "", name: [] as number[], electron: [] as number[], options: [] as number[] };
  const valueLength: number[] = [];
  nodes.forEach((node, i) => {
    if (node.id !== i) throw new RangeError(`node ids must be 0…n-1 in order; found ${node.id} at ${i}`);
    const letter = KIND_LETTERS[node.kind];
    if (letter === undefined) throw new RangeError(`node ${i} has an unknown kind "${String(node.kind)}"`);
    columns.kind += letter;
    columns.name.push(names.at(node.name));
    columns.electron.push(node.electron ?? -1);
    const document = node.options;
    columns.options.push(document === undefined ? -1 : options.at(JSON.stringify(document), () => document));
    const value = node.value === undefined ? undefined : Buffer.from(node.value, "base64");
    if (value) values.push(value);
    valueLength.push(value?.length ?? 0);
    if (node.key !== undefined) keys[i] = node.key;
  });
  const edgeKeys: Record<string, string> = {};
  edges.forEach((edge, e) => {
    if (edge.key !== undefined) edgeKeys[e] = edge.key;
  });
  return {
    version: 2,
    latticeName: graph.latticeName,
    electrons: graph.electrons,
    options: options.values,
    names: names.values,
    nodes: { ...columns, valueLength, values: Buffer.concat(values).toString("base64"), keys },
    edges: {
      source: edges.map((edge) => edge.source),
      target: edges.map((edge) => edge.target),
      kind: edges.map((edge) => EDGE_LETTERS[edge.kind]).join(""),
      position: edges.map((edge) => edge.position ?? -1),
      keys: edgeKeys,
    },
    output: graph.output,
  };
}
