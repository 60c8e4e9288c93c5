// A dispatch as the DAG document the notebook draws: the stored transport graph (values as previews,
// never the values) with every node's current state (status, timings, output preview, error, the
// worker that ran it and how long it queued, why it waits).
// Serves GET /api/v1/dispatches/{id}/graph, so a Result, a redispatch or a reopened notebook can draw
// a graph its kernel never built.
import type { DagDocument, DagNode, NodeState, Status } from "@valence/schema";
import { previewValue } from "../workflow/preview";
import { EDGE_LETTERS, kindOfLetter, outputPreview, type TransportGraph } from "../workflow/transport";
import { decode } from "../shared/values";

export function dagView(graph: TransportGraph, nodes: readonly NodeState[], dispatch: { id: string; status: Status }) {
  const states = new Map(nodes.map((node) => [node.id, node]));
  const columns = graph.nodes;
  const values = Buffer.from(columns.values, "base64");
  let valueAt = 0;
  const drawn: DagNode[] = [];
  for (let id = 0; id < columns.kind.length; id++) {
    const doc: DagNode = { id, kind: kindOfLetter(columns.kind[id]!)!, name: graph.names[columns.name[id]!]! };
    const options = graph.options[columns.options[id]!];
    if (options) doc.options = options;
    const key = columns.keys?.[id];
    if (key !== undefined) doc.key = key;
    const length = columns.valueLength[id]!;
    if (length > 0) doc.value = preview(values.subarray(valueAt, (valueAt += length)));
    const state = states.get(id);
    drawn.push(state ? withState(doc, state) : doc);
  }
  const edges = graph.edges;
  const document: DagDocument = {
    version: 1,
    lattice: { name: graph.latticeName },
    nodes: drawn,
    edges: edges.source.map((source, e) => {
      const position = edges.position[e]!;
      const key = edges.keys?.[e];
      return {
        source,
        target: edges.target[e]!,
        kind: edges.kind[e] === EDGE_LETTERS.data ? ("data" as const) : ("wait" as const),
        ...(position >= 0 ? { position } : {}),
        ...(key !== undefined ? { key } : {}),
      };
    }),
    output: outputPreview(graph.output),
    dispatch,
  };
  return document;
}

/** What a node panel shows of a run, kept in the document so a saved notebook still shows it. */
function withState(doc: DagNode, state: NodeState): DagNode {
  doc.status = state.status;
  if (state.attempts) doc.attempts = state.attempts;
  if (state.startedAt !== undefined) doc.startedAt = state.startedAt;
  if (state.endedAt !== undefined) doc.endedAt = state.endedAt;
  if (state.output) doc.output = state.output;
  if (state.error) doc.error = state.error;
  if (state.reused) doc.reused = true;
  if (state.worker) doc.worker = state.worker;
  if (state.queuedMs !== undefined) doc.queuedMs = state.queuedMs;
  if (state.waiting !== undefined) doc.waiting = state.waiting;
  return doc;
}

function preview(data: Uint8Array): DagNode["value"] {
  try {
    return previewValue(decode(data));
  } catch {
    return { type: "unknown", preview: "(cannot be read)" };
  }
}
