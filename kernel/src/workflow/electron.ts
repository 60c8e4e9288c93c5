// electron(): wraps a function (or a lattice, making a sublattice) as a task. Called inside a lattice
// body it records a node and returns a future; `.run(...)` executes the function directly.
import { argumentNode } from "./arguments";
import { currentBuild, type BuildContext } from "./build-context";
import { ELECTRON, latticeDefinition, type AnyFunction, type ElectronDefinition } from "./definition";
import { WorkflowError } from "./errors";
import { createFuture } from "./future";
import type { Lattice } from "./lattice";
import { validateElectronOptions, type ElectronOptions } from "./options";
import type { Args, Future } from "./types";

/** A task. Call it inside a lattice body to add it to the graph; `run` executes it directly. */
export interface Electron<A extends unknown[], R> {
  (...args: Args<A>): Future<Awaited<R>>;
  /** Executes the function here and now, outside any workflow. */
  run(...args: A): R;
  readonly electronName: string;
  readonly options: Readonly<ElectronOptions>;
}

export function electron<A extends unknown[], R>(
  lattice: Lattice<A, R>,
  options?: ElectronOptions,
): Electron<A, Promise<R>>;
export function electron<A extends unknown[], R>(fn: (...args: A) => R, options?: ElectronOptions): Electron<A, R>;
export function electron(
  target: AnyFunction | Lattice<unknown[], unknown>,
  options?: ElectronOptions,
): Electron<unknown[], unknown> {
  const sublattice = latticeDefinition(target);
  const fn = sublattice ? sublattice.fn : target;
  if (typeof fn !== "function") {
    throw new TypeError(`electron() takes a function or a lattice, got ${typeof target}`);
  }
  const name = options?.name ?? sublattice?.name ?? (fn.name || "anonymous");
  const validOptions = validateElectronOptions(options, name);
  const definition: ElectronDefinition = { name, fn, options: validOptions, ...(sublattice ? { sublattice } : {}) };

  const call = function (...args: unknown[]): unknown {
    const context = currentBuild();
    if (!context) {
      throw new WorkflowError(
        "ELECTRON_OUTSIDE_LATTICE",
        `electron "${name}" was called outside a lattice. Inside ct.lattice(...) a call adds it to the ` +
          `workflow; to execute it directly, call ${name}.run(...args).`,
      );
    }
    return recordCall(context, definition, args);
  };
  const run = sublattice
    ? () => {
        throw new WorkflowError(
          "ELECTRON_OUTSIDE_LATTICE",
          `electron "${name}" wraps a lattice; run it with ct.runLocal(lattice)(...args) or ct.dispatch(lattice)(...args).`,
        );
      }
    : (...args: unknown[]) => fn(...args);
  Object.defineProperties(call, {
    name: { value: name },
    [ELECTRON]: { value: definition },
    electronName: { value: name, enumerable: true },
    options: { value: validOptions, enumerable: true },
    run: { value: run },
  });
  return call as Electron<unknown[], unknown>;
}

function recordCall(context: BuildContext, called: ElectronDefinition, args: unknown[]): unknown {
  const definition = context.replacements?.get(called.name) ?? called;
  const graph = context.graph;
  // Arguments first: ids then follow a topological order, so every data edge points to a higher id.
  const sources = args.map((arg) => argumentNode(context, arg, definition.name));
  const options = callOptions(definition, graph.lattice.options);
  const id = graph.addNode({
    kind: definition.sublattice ? "sublattice" : "electron",
    name: definition.name,
    electron: definition,
    options,
  });
  sources.forEach((source, position) => graph.addEdge({ source, target: id, kind: "data", position }));
  return createFuture(context, id, `${definition.name}(…)`, options.outputLength);
}

/** Merged options by lattice options, then electron: every call of an electron in a lattice shares one. */
const merged = new WeakMap<object, WeakMap<ElectronDefinition, ElectronOptions>>();

/** The electron's options with what it inherits from the lattice (executor, cache); its own if nothing. */
function callOptions(
  definition: ElectronDefinition,
  defaults: Pick<ElectronOptions, "executor" | "cache">,
): ElectronOptions {
  const executor = definition.options.executor === undefined && defaults.executor !== undefined;
  const cache = definition.options.cache === undefined && defaults.cache !== undefined;
  if (!executor && !cache) return definition.options;
  let byElectron = merged.get(defaults);
  if (!byElectron) merged.set(defaults, (byElectron = new WeakMap()));
  let options = byElectron.get(definition);
  if (!options) {
    options = {
      ...definition.options,
      ...(executor ? { executor: defaults.executor } : {}),
      ...(cache ? { cache: defaults.cache } : {}),
    };
    byElectron.set(definition, options);
  }
  return options;
}
