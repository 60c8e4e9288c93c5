// lattice(): a workflow. `build(...args)` runs the body once with real inputs and futures for every
// electron call (the dry run) and returns the graph; `draw` is the same graph, for display.
import { BuildContext, withBuild } from "./build-context";
import { LATTICE, type ElectronDefinition, type LatticeDefinition } from "./definition";
import { Graph } from "./graph";
import { checkReturnValue } from "./output";
import { validateLatticeOptions, type LatticeOptions } from "./options";
import type { Resolved } from "./types";

/** A workflow made of electron calls. `R` is its result type (futures replaced by values). */
export interface Lattice<A extends unknown[], R> {
  readonly latticeName: string;
  readonly options: Readonly<LatticeOptions>;
  /** The dry run: the transport graph for these inputs. */
  build(...args: A): Graph<R>;
  /** The graph for these inputs, to show: a cell's last expression `wf.draw(10)` displays the DAG. */
  draw(...args: A): Graph<R>;
  readonly [LATTICE]: LatticeDefinition;
}

export function lattice<A extends unknown[], T>(
  fn: (...args: A) => T,
  options?: LatticeOptions,
): Lattice<A, Resolved<T>> {
  if (typeof fn !== "function") throw new TypeError(`lattice() takes a function, got ${typeof fn}`);
  const name = options?.name ?? (fn.name || "anonymous");
  const definition: LatticeDefinition = { name, fn, options: validateLatticeOptions(options, name) };
  const build = (...args: A): Graph<Resolved<T>> => buildGraph<Resolved<T>>(definition, args);
  return Object.freeze({
    latticeName: name,
    options: definition.options,
    build,
    draw: build,
    [LATTICE]: definition,
    toString: () => `Lattice "${name}"`,
  });
}

/** Runs a lattice body as a dry run; used for lattices and, at run time, for sublattices. */
export function buildGraph<R>(
  definition: LatticeDefinition,
  args: readonly unknown[],
  replacements?: ReadonlyMap<string, ElectronDefinition>,
): Graph<R> {
  const graph = new Graph<R>(definition, args);
  const context = new BuildContext(graph as Graph, replacements);
  try {
    const returned = withBuild(context, () => definition.fn(...args));
    checkReturnValue(returned, definition.name);
    graph.returnValue = returned;
  } finally {
    context.close();
  }
  return graph;
}
