// The transport graph: a built graph in the form that leaves the process — JSON with every electron
// serialized once (functions by value), nodes and edges in columns (an array per field, not an object
// per node) and every literal value v8-serialized into one buffer. A dispatcher runs it without the
// user's kernel; values travel with structured-clone semantics.
import { serialize } from "node:v8";
import type {
  ElectronOptionsDocument,
  NodeKind,
  OutputStructure,
  TransportGraphDocument,
  TransportOutputDocument,
} from "@valence/schema";
import type { ElectronDefinition } from "./definition";
import { optionsDocument } from "./dag-document";
import { WorkflowError } from "./errors";
import type { Graph } from "./graph";
import type { ElectronOptions } from "./options";
import { outputStructure } from "./output";
import { previewValue } from "./preview";
import { serializeElectron, type ElectronSpec } from "./serialize";
import { Interner } from "./interner";
import { isSmallInt, SMALL_INTS_MATCH, V8_HEADER, writeSmallInt } from "./v8-ints";

export type TransportOutput = TransportOutputDocument;
/** The graph as it leaves the process (schema/protocol.schema.json#/definitions/transportGraph). */
export type TransportGraph = Omit<TransportGraphDocument, "electrons"> & {
  readonly electrons: readonly ElectronSpec[];
};

/** A node kind's letter in `nodes.kind`. */
export const KIND_LETTERS: Readonly<Record<NodeKind, string>> = {
  parameter: "p",
  electron: "e",
  sublattice: "s",
  list: "l",
  dict: "d",
  getitem: "i",
  getattr: "a",
};

/** An edge kind's letter in `edges.kind`. */
export const EDGE_LETTERS = { data: "d", wait: "w" } as const;

/** The kind a letter of `nodes.kind` stands for; undefined for any other character. */
export const kindOfLetter = (letter: string): NodeKind | undefined => LETTER_KINDS.get(letter);
const LETTER_KINDS = new Map(Object.entries(KIND_LETTERS).map(([kind, letter]) => [letter, kind as NodeKind]));

export function toTransportGraph(graph: Graph): TransportGraph {
  const electrons = new Interner<ElectronDefinition, ElectronSpec>();
  // Electrons called many times share one options object: its document is made once.
  const options = new Interner<ElectronOptions, ElectronOptionsDocument>();
  const names = new Interner<string>();
  const n = graph.nodes.length;
  const kinds = Buffer.allocUnsafe(n);
  const name = new Array<number>(n);
  const electron = new Array<number>(n);
  const option = new Array<number>(n);
  const valueLength = new Array<number>(n);
  const values = new ByteSink();
  const keys: Record<string, string | number> = {};
  for (let id = 0; id < n; id++) {
    const node = graph.nodes[id]!;
    kinds[id] = KIND_LETTERS[node.kind].charCodeAt(0);
    name[id] = names.at(node.name);
    electron[id] = -1;
    option[id] = -1;
    valueLength[id] = 0;
    if (node.electron) {
      electron[id] = electrons.at(node.electron, serializeElectron);
      if (node.options) option[id] = options.at(node.options, optionsDocument);
    } else if (node.kind === "parameter") {
      valueLength[id] = values.value(node.value, () => {
        const user = graph.dependantsOf(id).map((d) => graph.node(d).name)[0] ?? graph.latticeName;
        return `an argument of electron "${user}" (node ${id})`;
      });
    }
    if (node.key !== undefined) keys[id] = node.key;
  }
  const edges = graph.edges;
  const m = edges.length;
  const source = new Array<number>(m);
  const target = new Array<number>(m);
  const edgeKinds = Buffer.allocUnsafe(m);
  const position = new Array<number>(m);
  const edgeKeys: Record<string, string> = {};
  for (let e = 0; e < m; e++) {
    const edge = edges[e]!;
    source[e] = edge.source;
    target[e] = edge.target;
    edgeKinds[e] = EDGE_LETTERS[edge.kind].charCodeAt(0);
    position[e] = edge.position ?? -1;
    if (edge.key !== undefined) edgeKeys[e] = edge.key;
  }
  return {
    version: 2,
    latticeName: graph.latticeName,
    electrons: electrons.values,
    options: options.values,
    names: names.values,
    nodes: {
      kind: kinds.toString("latin1"),
      name,
      electron,
      options: option,
      valueLength,
      values: values.base64(),
      ...(Object.keys(keys).length ? { keys } : {}),
    },
    edges: {
      source,
      target,
      kind: edgeKinds.toString("latin1"),
      position,
      ...(Object.keys(edgeKeys).length ? { keys: edgeKeys } : {}),
    },
    output: transportOutput(graph.returnValue, graph.latticeName),
  };
}

/** Parameter values written one after another, small ints without a serializer (v8-ints.ts). */
class ByteSink {
  private bytes = Buffer.allocUnsafe(4096);
  private end = 0;

  /** Appends `value`'s v8 bytes; returns how many. `what` names the value if it cannot travel. */
  value(value: unknown, what: () => string): number {
    const start = this.end;
    if (typeof value === "number" && SMALL_INTS_MATCH && isSmallInt(value)) {
      this.room(V8_HEADER.length + 6);
      this.bytes.set(V8_HEADER, this.end);
      this.end = writeSmallInt(this.bytes, this.end + V8_HEADER.length, value);
    } else {
      const bytes = encodeBytes(value, what);
      this.room(bytes.length);
      this.bytes.set(bytes, this.end);
      this.end += bytes.length;
    }
    return this.end - start;
  }

  base64(): string {
    return this.bytes.toString("base64", 0, this.end);
  }

  private room(more: number): void {
    if (this.end + more <= this.bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(2 * this.bytes.length, this.end + more));
    this.bytes.copy(grown, 0, 0, this.end);
    this.bytes = grown;
  }
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
  return encodeBytes(value, what).toString("base64");
}

/** v8-serializes a value, or fails naming what could not travel. */
function encodeBytes(value: unknown, what: string | (() => string)): Buffer {
  try {
    return serialize(value);
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
