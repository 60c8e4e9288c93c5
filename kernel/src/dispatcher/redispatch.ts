// Redispatch: rebuild the graph from a stored dispatch's lattice — no source, no kernel — with new
// inputs (or the stored ones) and, if sent, new code for some electrons (by name), and submit it as a
// new dispatch.
import { registerLoaderFor } from "../executors/loader-on-demand";
import { buildGraph } from "../workflow/lattice";
import { electronDefinition, latticeDefinition, type ElectronDefinition } from "../workflow/definition";
import { rebuildElectron, rebuildLattice, type ElectronSpec, type LatticeSpec } from "../workflow/serialize";
import { toTransportGraph, type TransportGraph } from "../workflow/transport";
import { DispatchRejected, type Engine } from "./engine";
import type { Store } from "./store/store";
import { argumentsOf } from "./arguments";

/** What a redispatch asks for besides the dispatch: new inputs, reuse, new code for some electrons. */
export interface RedispatchAsk {
  readonly inputs?: Uint8Array;
  readonly reusePreviousResults?: boolean;
  readonly replaceElectrons?: Readonly<Record<string, ElectronSpec>>;
  /** The trigger that fires it. */
  readonly triggerId?: string;
}

export async function redispatchFromStore(
  engine: Engine,
  store: Store,
  dispatchId: string,
  { inputs, reusePreviousResults = false, replaceElectrons = {}, triggerId }: RedispatchAsk,
): Promise<string> {
  engine.detail(dispatchId); // 404 when unknown
  const spec = JSON.parse(store.getLattice(dispatchId)) as LatticeSpec;
  const args = inputs ?? store.getInputs(dispatchId);
  const decoded = argumentsOf(args, "redispatch inputs");
  registerLoaderFor(spec.functions);
  let graph: TransportGraph;
  try {
    const definition = latticeDefinition(await rebuildLattice(spec));
    if (!definition) throw new DispatchRejected(`dispatch ${dispatchId} has no stored lattice`);
    const replacements = await replacementsOf(replaceElectrons);
    const built = buildGraph(definition, decoded, replacements);
    const unused = [...replacements.keys()].filter((name) => !replacements.used.has(name));
    if (unused.length) {
      const called = new Set(built.nodes.flatMap((node) => (node.electron ? [node.electron.name] : [])));
      const names = [...called].join(", ");
      throw new DispatchRejected(
        `replaceElectrons names ${unused.map((name) => `"${name}"`).join(", ")}, which the lattice of dispatch ` +
          `${dispatchId} does not call (it calls ${names || "no electron"})`,
      );
    }
    graph = toTransportGraph(built);
  } catch (error) {
    // The lattice is the owner's code: with these inputs it may throw anything. It is their 400.
    if (error instanceof DispatchRejected) throw error;
    throw new DispatchRejected(`lattice of dispatch ${dispatchId} could not be built: ${(error as Error).message}`);
  }
  const volume = store.getDispatch(dispatchId)?.volume;
  return engine.submit({
    graph,
    lattice: spec,
    inputs: args,
    ...(reusePreviousResults ? { reuseFrom: dispatchId } : {}),
    ...(volume ? { volume } : {}),
    ...(triggerId !== undefined ? { triggerId } : {}),
  });
}

/** The electrons sent to replace those of the same name, rebuilt (their code is the owner's: a 400 if it cannot be). */
async function replacementsOf(specs: Readonly<Record<string, ElectronSpec>>): Promise<Replacements> {
  const replacements = new Replacements();
  for (const [name, spec] of Object.entries(specs)) {
    registerLoaderFor(spec.functions);
    let definition: ElectronDefinition | undefined;
    try {
      definition = electronDefinition(await rebuildElectron(spec));
    } catch (error) {
      throw new DispatchRejected(`replaceElectrons["${name}"] could not be rebuilt: ${(error as Error).message}`);
    }
    if (!definition) throw new DispatchRejected(`replaceElectrons["${name}"] is not an electron`);
    replacements.set(name, definition);
  }
  return replacements;
}

/** Replacements by name, remembering which the build asked for (one no call used is the sender's mistake). */
class Replacements extends Map<string, ElectronDefinition> {
  readonly used = new Set<string>();

  override get(name: string): ElectronDefinition | undefined {
    const found = super.get(name);
    if (found) this.used.add(name);
    return found;
  }
}
