// The transport graph: a built graph in the form that leaves the process — JSON with every electron
// serialized once (functions by value) and every literal value v8-serialized. A dispatcher runs it
// without the user's kernel; values travel with structured-clone semantics.
import { serialize } from "node:v8";
import type {
  OutputStructure,
  TransportGraphDocument,
  TransportNodeDocument,
  TransportOutputDocument,
} from "@valence/schema";
import type { ElectronDefinition } from "./definition";
import { optionsDocument } from "./dag-document";
import { WorkflowError } from "./errors";
import type { Graph } from "./graph";
import { outputStructure } from "./output";
import { previewValue } from "./preview";
import { serializeElectron, type ElectronSpec } from "./serialize";
import { isSmallInt, SMALL_INTS_MATCH, V8_HEADER, writeSmallInt } from "./v8-ints";

export type TransportNode = TransportNodeDocument;
export type TransportOutput = TransportOutputDocument;
/** The graph as it leaves the process (schema/protocol.schema.json#/definitions/transportGraph). */
export type TransportGraph = Omit<TransportGraphDocument, "electrons"> & {
  readonly electrons: readonly ElectronSpec[];
};

export function toTransportGraph(graph: Graph): TransportGraph {
  const electrons: ElectronSpec[] = [];
  const index = new Map<ElectronDefinition, number>();
  const electronIndex = (definition: ElectronDefinition): number => {
    let i = index.get(definition);
    if (i === undefined) {
      i = electrons.push(serializeElectron(definition)) - 1;
      index.set(definition, i);
    }
    return i;
  };
  // Electrons called many times share one options object: its document is made once.
  const documents = new Map<object, TransportNode["options"]>();
  const optionsOf = (options: NonNullable<(typeof graph.nodes)[number]["options"]>) => {
    let doc = documents.get(options);
    if (!doc) documents.set(options, (doc = optionsDocument(options)));
    return doc;
  };
  const nodes = graph.nodes.map((node): TransportNode => {
    const { id, kind, name } = node;
    if (node.electron) {
      return {
        id,
        kind,
        name,
        electron: electronIndex(node.electron),
        options: node.options ? optionsOf(node.options) : {},
      };
    }
    if (kind === "parameter") {
      const what = () => {
        const user = graph.dependantsOf(id).map((d) => graph.node(d).name)[0] ?? graph.latticeName;
        return `an argument of electron "${user}" (node ${id})`;
      };
      return { id, kind, name, value: encodeValue(node.value, what) };
    }
    return node.key === undefined ? { id, kind, name } : { id, kind, name, key: node.key };
  });
  return {
    version: 1,
    latticeName: graph.latticeName,
    electrons,
    nodes,
    // The graph's own edge objects: plain data, the same shape, and a graph is not changed once built.
    edges: graph.edges.slice(),
    output: transportOutput(graph.returnValue, graph.latticeName),
  };
}

function transportOutput(value: unknown, latticeName: string): TransportOutput {
  return outputStructure(value, (leaf) => ({
    kind: "value" as const,
    value: previewValue(leaf),
    data: encodeValue(leaf, `the return value of lattice "${latticeName}"`),
  }));
}

/** v8-serializes a value to base64, or fails naming what could not travel (`what`: made only then). */
export function encodeValue(value: unknown, what: string | (() => string)): string {
  if (typeof value === "number" && SMALL_INTS_MATCH && isSmallInt(value)) return encodeSmallInt(value);
  try {
    return serialize(value).toString("base64");
  } catch (error) {
    throw new WorkflowError(
      "NOT_SERIALIZABLE",
      `${typeof what === "string" ? what : what()} cannot be sent to the dispatcher: ${(error as Error).message}. Values travel as structured clones ` +
        `(plain data, Map, Set, Date, BigInt, typed arrays); functions and symbols cannot.`,
      { cause: error },
    );
  }
}

/** The DAG-document form of a transport output (previews only). */
export function outputPreview(output: TransportOutput): OutputStructure {
  switch (output.kind) {
    case "future":
      return output;
    case "value":
      return { kind: "value", value: output.value };
    case "array":
      return { kind: "array", items: output.items.map(outputPreview) };
    case "object":
      return {
        kind: "object",
        entries: Object.fromEntries(Object.entries(output.entries).map(([k, v]) => [k, outputPreview(v)])),
      };
  }
}

/** A small int's v8 bytes as base64, made without a serializer (v8-ints.ts). */
function encodeSmallInt(n: number): string {
  const bytes = Buffer.allocUnsafe(8);
  bytes.set(V8_HEADER);
  return bytes.toString("base64", 0, writeSmallInt(bytes, V8_HEADER.length, n));
}
