// The parts of a dry-run graph, apart from the Graph class that holds them: its nodes and edges, what
// a build records into (GraphBuilder: build-context.ts and futures see only this), and what its
// presentations read (GraphFacts: dag-document.ts, describe.ts). Graph imports those presentations,
// so they, and the build, depend on these shapes rather than on graph.ts.
import type { NodeKind, OutputStructure } from "@valence/schema";
import type { ElectronDefinition, LatticeDefinition } from "./definition";
import type { ElectronOptions } from "./options";

export interface GraphNode {
  readonly id: number;
  readonly kind: NodeKind;
  readonly name: string;
  /** electron and sublattice nodes: what runs. */
  readonly electron?: ElectronDefinition;
  /** electron and sublattice nodes: the electron's options with the lattice's defaults applied. */
  readonly options?: ElectronOptions;
  /** parameter nodes: the literal value. */
  readonly value?: unknown;
  /** getitem / getattr nodes: the index or property name. */
  readonly key?: string | number;
}

export interface GraphEdge {
  readonly source: number;
  readonly target: number;
  /** data: the source's output feeds the target; wait: ordering only. */
  readonly kind: "data" | "wait";
  /** Argument position (electrons) or element index (list nodes). */
  readonly position?: number;
  /** Property name (dict nodes). */
  readonly key?: string;
}

/** Where a node's inputs come from, in the order execution passes them. */
export interface NodeInputs {
  readonly data: GraphEdge[];
  readonly waitFor: number[];
}

/** What a dry run records into: Graph implements it. */
export interface GraphBuilder {
  readonly lattice: LatticeDefinition;
  readonly latticeName: string;
  addNode(node: Omit<GraphNode, "id">): number;
  addEdge(edge: GraphEdge): void;
  /** Adds an ordering edge, refusing one that would close a cycle. */
  addWaitEdge(source: number, target: number, describe: (id: number) => string): void;
  node(id: number): GraphNode;
}

/** What a built graph's presentations read: Graph implements it. */
export interface GraphFacts {
  readonly latticeName: string;
  readonly inputs: readonly unknown[];
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
  /** The return structure with futures as `{ kind: "future", node }`. */
  readonly output: OutputStructure;
}
