// A dispatch as the DAG document the notebook draws: the stored transport graph (values as previews,
// never the values) with every node's current state (status, timings, output preview, error, the
// worker that ran it and how long it queued, why it waits).
// Serves GET /api/v1/dispatches/{id}/graph, so a Result, a redispatch or a reopened notebook can draw
// a graph its kernel never built.
import type { DagDocument, DagNode, NodeState, Status } from "@valence/schema";
import { previewValue } from "../workflow/preview";
import { outputPreview, type TransportGraph } from "../workflow/transport";
import { decode, fromBase64 } from "./values";

export function dagView(graph: TransportGraph, nodes: readonly NodeState[], dispatch: { id: string; status: Status }) {
  const states = new Map(nodes.map((node) => [node.id, node]));
  const document: DagDocument = {
    version: 1,
    lattice: { name: graph.latticeName },
    nodes: graph.nodes.map((node): DagNode => {
      const doc: DagNode = { id: node.id, kind: node.kind, name: node.name };
      if (node.options) doc.options = node.options;
      if (node.key !== undefined) doc.key = node.key;
      if (node.value !== undefined) doc.value = preview(node.value);
      const state = states.get(node.id);
      return state ? withState(doc, state) : doc;
    }),
    edges: graph.edges.map((edge) => ({ ...edge })),
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

function preview(data: string): DagNode["value"] {
  try {
    return previewValue(decode(fromBase64(data)));
  } catch {
    return { type: "unknown", preview: "(cannot be read)" };
  }
}
