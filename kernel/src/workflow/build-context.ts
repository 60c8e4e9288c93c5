// The dry run in progress: electron calls made while a lattice body runs record nodes into the
// innermost build on this stack. Builds are synchronous, so a stack is all the state there is.
import type { ElectronDefinition } from "./definition";
import type { GraphBuilder } from "./graph-parts";

export class BuildContext {
  private open = true;
  /**
   * @param replacements electrons that stand in for those of the same name wherever the body calls
   *   them (a redispatch with new code for some electrons).
   */
  constructor(
    readonly graph: GraphBuilder,
    readonly replacements?: ReadonlyMap<string, ElectronDefinition>,
  ) {}

  get isOpen(): boolean {
    return this.open;
  }

  close(): void {
    this.open = false;
  }

  /** How messages name a node: `"prepareData" (node 3)`. */
  describe(id: number): string {
    const node = this.graph.node(id);
    return `"${node.name}" (node ${id})`;
  }
}

const stack: BuildContext[] = [];

export function currentBuild(): BuildContext | undefined {
  return stack[stack.length - 1];
}

export function withBuild<T>(context: BuildContext, body: () => T): T {
  stack.push(context);
  try {
    return body();
  } finally {
    stack.pop();
  }
}
