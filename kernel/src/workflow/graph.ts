// The transport graph a lattice's dry run produces, in memory: nodes hold live values (parameters)
// and definitions (electrons), so the graph can be run in process or serialized for a dispatcher.
// Ids are dense integers in creation order, so the same lattice and inputs give the same graph.
import { DAG_MIME_TYPE, type DagDocument, type OutputStructure } from "@valence/schema";
import type { LatticeDefinition } from "./definition";
import { WorkflowError } from "./errors";
import { toDagDocument } from "./dag-document";
import { describeGraph } from "./describe";
import { outputStructure } from "./output";
import type { GraphBuilder, GraphEdge, GraphFacts, GraphNode, NodeInputs } from "./graph-parts";
import type { Resolved } from "./types";

export type { GraphEdge, GraphNode, NodeInputs };

/**
 * A lattice's dry-run graph. `R` is the type of the lattice's result (the return structure with its
 * futures replaced by outputs).
 */
export class Graph<R = unknown> implements GraphBuilder, GraphFacts {
  readonly nodes: GraphNode[] = [];
  readonly edges: GraphEdge[] = [];
  /** What the lattice body returned: plain values, arrays and objects with futures inside. */
  returnValue: unknown = undefined;
  /** Edges into and out of each node; undefined until it has one (most parameters have one edge). */
  private readonly incoming: Array<GraphEdge[] | undefined> = [];
  private readonly outgoing: Array<GraphEdge[] | undefined> = [];
  // Phantom field so Graph<A> and Graph<B> are distinct types.
  declare readonly __result?: R;

  constructor(
    readonly lattice: LatticeDefinition,
    readonly inputs: readonly unknown[],
  ) {}

  get latticeName(): string {
    return this.lattice.name;
  }

  addNode(node: Omit<GraphNode, "id">): number {
    const id = this.nodes.length;
    this.nodes.push({ id, ...node });
    this.incoming.push(undefined);
    this.outgoing.push(undefined);
    return id;
  }

  addEdge(edge: GraphEdge): void {
    this.edges.push(edge);
    (this.incoming[edge.target] ??= []).push(edge);
    (this.outgoing[edge.source] ??= []).push(edge);
  }

  /** Adds an ordering edge, refusing one that would close a cycle. */
  addWaitEdge(source: number, target: number, describe: (id: number) => string): void {
    if (source === target || this.reaches(target, source)) {
      throw new WorkflowError(
        "WAIT_CYCLE",
        `wait(${describe(target)}, ${describe(source)}) would create a cycle: ${describe(source)} already ` +
          `depends on ${describe(target)}. A node can only wait for nodes it does not feed.`,
      );
    }
    if (this.incoming[target]?.some((e) => e.kind === "wait" && e.source === source)) return;
    this.addEdge({ source, target, kind: "wait" });
  }

  node(id: number): GraphNode {
    const node = this.nodes[id];
    if (!node) throw new RangeError(`graph of lattice "${this.latticeName}" has no node ${id}`);
    return node;
  }

  inputsOf(id: number): NodeInputs {
    const edges = this.incoming[id] ?? [];
    return {
      data: edges.filter((e) => e.kind === "data"),
      waitFor: edges.filter((e) => e.kind === "wait").map((e) => e.source),
    };
  }

  dependantsOf(id: number): number[] {
    return [...new Set((this.outgoing[id] ?? []).map((e) => e.target))];
  }

  /** Number of distinct nodes each node waits for (data or ordering). */
  dependencyCounts(): number[] {
    return this.incoming.map((edges) => (edges ? new Set(edges.map((e) => e.source)).size : 0));
  }

  /** True when `to` can be reached from `from` along edges. */
  reaches(from: number, to: number): boolean {
    const seen = new Set<number>([from]);
    const stack = [from];
    while (stack.length) {
      const id = stack.pop()!;
      if (id === to) return true;
      for (const e of this.outgoing[id] ?? []) {
        if (!seen.has(e.target)) {
          seen.add(e.target);
          stack.push(e.target);
        }
      }
    }
    return false;
  }

  /** The return structure with futures as `{ kind: "future", node }`. */
  get output(): OutputStructure {
    return outputStructure(this.returnValue);
  }

  /** The JSON document described by schema/dag.schema.json. */
  toJSON(): DagDocument {
    return toDagDocument(this);
  }

  toString(): string {
    return describeGraph(this);
  }

  /** Deno's display convention, which the Valence kernel follows: a MIME bundle for the cell output. */
  [Symbol.for("Jupyter.display")](): Record<string, unknown> {
    return { [DAG_MIME_TYPE]: this.toJSON(), "text/plain": this.toString() };
  }
}

/** The result type a graph's lattice produces. */
export type GraphResult<G> = G extends Graph<infer R> ? R : never;
export type { Resolved };
