// A transport graph indexed for running: inputs and dependants per node, built once per dispatch in
// O(nodes + edges), so the scheduler's per-task work does not scan the edge list.
import { createHash } from "node:crypto";
import type { GraphEdge } from "../workflow/graph";
import type { TransportGraph, TransportNode } from "../workflow/transport";
import type { SchedulableGraph } from "./scheduler";

export class GraphIndex implements SchedulableGraph {
  readonly nodes: readonly TransportNode[];
  private readonly dataIn: GraphEdge[][];
  private readonly dependants: number[][];
  private readonly counts: number[];

  constructor(readonly graph: TransportGraph) {
    this.nodes = graph.nodes;
    const n = graph.nodes.length;
    this.dataIn = Array.from({ length: n }, () => []);
    const sources: Set<number>[] = Array.from({ length: n }, () => new Set());
    for (const edge of graph.edges) {
      if (edge.source >= n || edge.target >= n || edge.source < 0 || edge.target < 0) {
        throw new RangeError(`edge ${edge.source}→${edge.target} names a node the graph does not have`);
      }
      if (edge.kind === "data") this.dataIn[edge.target]!.push(edge);
      sources[edge.target]!.add(edge.source);
    }
    this.counts = sources.map((s) => s.size);
    this.dependants = Array.from({ length: n }, () => []);
    sources.forEach((set, target) => set.forEach((source) => this.dependants[source]!.push(target)));
  }

  private readonly electronHashes = new Map<number, string>();

  /** Content hash of an electron's serialized code (and options), computed once per dispatch. */
  electronHash(index: number): string {
    let hash = this.electronHashes.get(index);
    if (hash === undefined) {
      hash = createHash("sha256").update(JSON.stringify(this.graph.electrons[index])).digest("base64url");
      this.electronHashes.set(index, hash);
    }
    return hash;
  }

  node(id: number): TransportNode {
    const node = this.nodes[id];
    if (!node) throw new RangeError(`no node ${id} in lattice "${this.graph.latticeName}"`);
    return node;
  }

  dataInputs(id: number): readonly GraphEdge[] {
    return this.dataIn[id] ?? [];
  }

  dependencyCounts(): number[] {
    return [...this.counts];
  }

  dependantsOf(id: number): number[] {
    return this.dependants[id] ?? [];
  }

  /** Every node downstream of `id`, not including it. */
  downstreamOf(id: number): number[] {
    const seen = new Set<number>();
    const stack = [id];
    while (stack.length) {
      for (const next of this.dependantsOf(stack.pop()!)) {
        if (!seen.has(next)) {
          seen.add(next);
          stack.push(next);
        }
      }
    }
    return [...seen];
  }
}
