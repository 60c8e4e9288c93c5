// How a new dispatch is stored (Engine.submit): its graph as text — the request's own text when the
// graph is nearly all of it — and its nodes as created, for the store's node list.
import type { NodeKind } from "@valence/schema";
import type { TransportGraph } from "../workflow/transport";
import type { GraphIndex } from "./graph-index";
import type { TransportGraphV1 } from "./transport-v1";

/** A dispatch as Engine.submit takes it (from the HTTP API, a redispatch, or a sublattice). */
export interface NewDispatchRequest {
  readonly graph: TransportGraph | TransportGraphV1;
  readonly lattice: unknown;
  readonly inputs: Uint8Array;
  readonly parentId?: string;
  readonly parentNode?: number;
  /** Take stored outputs from this dispatch for nodes whose code and inputs are unchanged. */
  readonly reuseFrom?: string;
  /** Volume name: every task sees `<data dir>/volumes/<name>` as `taskContext().volume.path`. */
  readonly volume?: string;
  /** The trigger that makes this dispatch (a redispatch it fired). */
  readonly triggerId?: string;
  /** The request's JSON text as received, `graph` one of its members: stored instead of serializing the graph again. */
  readonly text?: string;
}

/**
 * How the graph is stored: the request's text as received when the graph is nearly all of it (a
 * 10,000-task graph is 2.5 MB of JSON, not serialized a second time), else the graph alone.
 */
export function graphText(
  request: NewDispatchRequest,
  latticeLength: number,
): { graph: string; graphInRequest?: true } {
  const { text } = request;
  // The rest of the request (lattice, inputs as base64) is stored on its own too: keep that copy small.
  if (text !== undefined && 8 * (latticeLength + 2 * request.inputs.byteLength) < text.length) {
    return { graph: text, graphInRequest: true };
  }
  return { graph: JSON.stringify(request.graph) };
}

/** The nodes a new dispatch stores (as one list: store/node-list.ts), one reused object at a time. */
export function* newNodeRows(
  index: GraphIndex,
): Generator<{ nodeId: number; kind: NodeKind; name: string; status?: "COMPLETED" }> {
  const row: { nodeId: number; kind: NodeKind; name: string; status?: "COMPLETED" } = {
    nodeId: 0,
    kind: "electron",
    name: "",
  };
  for (let i = 0; i < index.size; i++) {
    row.nodeId = i;
    row.kind = index.kind(i);
    row.name = index.name(i);
    // Parameters hold their value from the start: complete at creation.
    if (row.kind === "parameter") row.status = "COMPLETED";
    else delete row.status;
    yield row;
  }
}
