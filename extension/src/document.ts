// Checks that an output bundle is a DAG document the renderer can draw, and says precisely what is
// wrong when it is not (the cell shows that message instead of a blank output). Enumerations come
// from the JSON Schema itself, so a new node kind or status needs no change here.
import type { DagDocument, NodeKind, Status } from "./schema/dag.generated";
import dagSchema from "./schema/dag.schema.json";

const NODE_KINDS: readonly string[] = dagSchema.definitions.nodeKind.enum;
const STATUSES: readonly string[] = dagSchema.definitions.status.enum;
const EDGE_KINDS: readonly string[] = dagSchema.definitions.edge.properties.kind.enum;

/** Why a bundle is not a drawable DAG document; `path` points into it (`nodes[3].kind`). */
export class DagDocumentError extends Error {
  constructor(
    readonly path: string,
    problem: string,
  ) {
    super(path ? `${path}: ${problem}` : problem);
    this.name = "DagDocumentError";
  }
}

type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const show = (value: unknown): string => JSON.stringify(value) ?? String(value);

function objectAt(value: unknown, path: string): JsonObject {
  if (!isObject(value)) throw new DagDocumentError(path, `expected an object, got ${show(value)}`);
  return value;
}

function arrayAt(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) throw new DagDocumentError(path, `expected an array, got ${show(value)}`);
  return value;
}

function integerAt(value: unknown, path: string): number {
  if (!Number.isInteger(value) || (value as number) < 0) {
    throw new DagDocumentError(path, `expected a non-negative integer, got ${show(value)}`);
  }
  return value as number;
}

function oneOf<T extends string>(value: unknown, allowed: readonly string[], path: string): T {
  if (typeof value !== "string" || !allowed.includes(value)) {
    throw new DagDocumentError(path, `${show(value)} is not one of ${allowed.join(", ")}`);
  }
  return value as T;
}

function checkNodes(nodes: unknown[]): Set<number> {
  const ids = new Set<number>();
  nodes.forEach((value, index) => {
    const path = `nodes[${index}]`;
    const node = objectAt(value, path);
    const id = integerAt(node.id, `${path}.id`);
    if (ids.has(id)) throw new DagDocumentError(`${path}.id`, `node id ${id} appears twice`);
    ids.add(id);
    oneOf<NodeKind>(node.kind, NODE_KINDS, `${path}.kind`);
    if (typeof node.name !== "string" || node.name === "") {
      throw new DagDocumentError(`${path}.name`, `expected a non-empty string, got ${show(node.name)}`);
    }
    if (node.status !== undefined) oneOf<Status>(node.status, STATUSES, `${path}.status`);
  });
  return ids;
}

function checkEdges(edges: unknown[], ids: Set<number>): void {
  edges.forEach((value, index) => {
    const path = `edges[${index}]`;
    const edge = objectAt(value, path);
    for (const end of ["source", "target"] as const) {
      const id = integerAt(edge[end], `${path}.${end}`);
      if (!ids.has(id)) throw new DagDocumentError(`${path}.${end}`, `no node has id ${id}`);
    }
    oneOf(edge.kind, EDGE_KINDS, `${path}.kind`);
  });
}

/**
 * The bundle as a DAG document, checked for everything drawing relies on: version 1, a lattice
 * name, well-formed nodes with unique ids, and edges between existing nodes.
 * @throws DagDocumentError naming the first problem found
 */
export function parseDagDocument(value: unknown): DagDocument {
  const document = objectAt(value, "");
  if (document.version !== 1) {
    throw new DagDocumentError("version", `expected 1, got ${show(document.version)} (a newer Valence?)`);
  }
  const lattice = objectAt(document.lattice, "lattice");
  if (typeof lattice.name !== "string" || lattice.name === "") {
    throw new DagDocumentError("lattice.name", `expected a non-empty string, got ${show(lattice.name)}`);
  }
  const ids = checkNodes(arrayAt(document.nodes, "nodes"));
  checkEdges(arrayAt(document.edges, "edges"), ids);
  return document as unknown as DagDocument;
}
