// Graph → the JSON document of schema/dag.schema.json: what the kernel shows and the extension draws.
// Values appear only as previews; hooks only by name.
import type { DagDocument, DagNode, ElectronOptionsDocument } from "@valence/schema";
import type { GraphFacts, GraphNode } from "./graph-parts";
import { hookList, type ElectronOptions } from "./options";
import { previewValue } from "./preview";

export function toDagDocument(graph: GraphFacts): DagDocument {
  return {
    version: 1,
    lattice: { name: graph.latticeName, inputs: graph.inputs.map(previewValue) },
    nodes: graph.nodes.map(dagNode),
    edges: graph.edges.map((edge) => ({ ...edge })),
    output: graph.output,
  };
}

function dagNode(node: GraphNode): DagNode {
  const doc: DagNode = { id: node.id, kind: node.kind, name: node.name };
  if (node.options) doc.options = optionsDocument(node.options);
  if (node.kind === "parameter") doc.value = previewValue(node.value);
  if (node.key !== undefined) doc.key = node.key;
  return doc;
}

export function optionsDocument(options: ElectronOptions): ElectronOptionsDocument {
  const doc: ElectronOptionsDocument = {};
  if (options.executor !== undefined) doc.executor = options.executor;
  if (options.resources !== undefined) doc.resources = { ...options.resources };
  if (options.retries !== undefined) doc.retries = options.retries;
  if (options.timeoutMs !== undefined) doc.timeoutMs = options.timeoutMs;
  if (options.deps !== undefined) doc.deps = { ...options.deps };
  if (options.callBefore !== undefined) doc.callBefore = hookList(options.callBefore).map(hookName);
  if (options.callAfter !== undefined) doc.callAfter = hookList(options.callAfter).map(hookName);
  if (options.cache !== undefined) doc.cache = options.cache;
  if (options.outputLength !== undefined) doc.outputLength = options.outputLength;
  return doc;
}

function hookName(hook: () => unknown): string {
  return hook.name || "anonymous";
}
