// The scheduler's bookkeeping, free of I/O: a dependency counter per node and the list of nodes that
// became ready. Whoever runs the nodes (in process, or the dispatcher with its executors) asks it what
// may start next; the cost per node is O(its edges).

/** The shape the scheduler needs from a graph. */
export interface SchedulableGraph {
  readonly nodes: { readonly length: number };
  dependencyCounts(): ArrayLike<number>;
  dependantsOf(id: number): ArrayLike<number>;
  /** Optional, for speed: every node's dependants in CSR form (see GraphIndex). */
  readonly csr?: { readonly start: Int32Array; readonly targets: Int32Array };
}

export class Scheduler {
  private readonly waiting: Int32Array;
  private readonly settled: Uint8Array;
  private remaining: number;

  constructor(private readonly graph: SchedulableGraph) {
    this.waiting = Int32Array.from(graph.dependencyCounts());
    this.settled = new Uint8Array(graph.nodes.length);
    this.remaining = graph.nodes.length;
  }

  /** Nodes with no dependencies: where a run starts. */
  initial(): number[] {
    const ready: number[] = [];
    this.waiting.forEach((count, id) => count === 0 && ready.push(id));
    return ready;
  }

  /**
   * Resumes from a run that was interrupted: marks `completed` done and returns every node that is
   * ready now (not done, all dependencies done).
   */
  restore(completed: Iterable<number>): number[] {
    for (const id of completed) this.complete(id);
    const ready: number[] = [];
    this.waiting.forEach((count, id) => count === 0 && !this.settled[id] && ready.push(id));
    return ready;
  }

  /** How many of the node's dependencies have not completed yet. */
  waitingOn(id: number): number {
    return this.waiting[id]!;
  }

  isSettled(id: number): boolean {
    return this.settled[id] === 1;
  }

  /** Marks a node done and returns the dependants that are now ready. */
  complete(id: number): number[] {
    this.settle(id);
    const ready: number[] = [];
    const csr = this.graph.csr;
    const dependants = csr ? csr.targets : this.graph.dependantsOf(id);
    const end = csr ? csr.start[id + 1]! : dependants.length;
    for (let i = csr ? csr.start[id]! : 0; i < end; i++) {
      const dependant = dependants[i]!;
      if (--this.waiting[dependant]! === 0 && !this.settled[dependant]) ready.push(dependant);
    }
    return ready;
  }

  /** Marks a node failed and returns every node downstream of it, which can now never run. */
  fail(id: number): number[] {
    this.settle(id);
    const blocked: number[] = [];
    const stack = [id];
    while (stack.length) {
      const dependants = this.graph.dependantsOf(stack.pop()!);
      for (let i = 0; i < dependants.length; i++) {
        const dependant = dependants[i]!;
        if (this.settled[dependant]) continue;
        this.settle(dependant);
        blocked.push(dependant);
        stack.push(dependant);
      }
    }
    return blocked;
  }

  get finished(): boolean {
    return this.remaining === 0;
  }

  private settle(id: number): void {
    if (this.settled[id]) return;
    this.settled[id] = 1;
    this.remaining--;
  }
}
