// What `await dispatch(lattice)(...args)` returns: a handle on the running dispatch. It stands for
// its id wherever a string is expected (`${handle}`, JSON, getResult(handle)), and in a notebook it
// displays as the dispatch's DAG, which the kernel keeps updating until the dispatch is final.
import { DAG_MIME_TYPE, type DagDocument } from "@valence/schema";
import { call, dispatchPath } from "./connection";

/** A dispatch id, or the handle `dispatch` returned for it. */
export type DispatchRef = string | Dispatch;

export function dispatchIdOf(ref: DispatchRef): string {
  return typeof ref === "string" ? ref : ref.id;
}

export class Dispatch<R = unknown> {
  /** Only carries the lattice's result type, for getResult(handle). */
  declare readonly resultType?: R;

  constructor(
    readonly id: string,
    readonly latticeName: string,
    /** The dry-run graph, drawn while the dispatcher cannot be asked (made only then). */
    private readonly dryRun?: () => DagDocument,
  ) {}

  /** The DAG with every node's current status, from the dispatcher. */
  async graph(): Promise<DagDocument> {
    try {
      return await call<DagDocument>("GET", dispatchPath(this.id, "/graph"));
    } catch (error) {
      if (!this.dryRun) throw error;
      return { ...this.dryRun(), dispatch: { id: this.id, status: "PENDING" } };
    }
  }

  toString(): string {
    return this.id;
  }

  toJSON(): string {
    return this.id;
  }

  [Symbol.toPrimitive](): string {
    return this.id;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `Dispatch { id: '${this.id}', lattice: '${this.latticeName}' }`;
  }

  async [Symbol.for("Jupyter.display")](): Promise<Record<string, unknown>> {
    const graph = await this.graph();
    const status = graph.dispatch?.status ?? "PENDING";
    return {
      [DAG_MIME_TYPE]: graph,
      "text/plain": `Dispatch ${this.id} of "${this.latticeName}": ${status} (${graph.nodes.length} nodes)`,
    };
  }
}
