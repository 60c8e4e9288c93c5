// Redispatch: rebuild the graph from a stored dispatch's lattice — no source, no kernel — with new
// inputs (or the stored ones), and submit it as a new dispatch.
import { registerLoaderFor } from "../executors/loader-on-demand";
import { buildGraph } from "../workflow/lattice";
import { latticeDefinition } from "../workflow/definition";
import { rebuildLattice, type LatticeSpec } from "../workflow/serialize";
import { toTransportGraph, type TransportGraph } from "../workflow/transport";
import { DispatchRejected, type Engine } from "./engine";
import type { Store } from "./store/store";
import { argumentsOf } from "./arguments";

export async function redispatchFromStore(
  engine: Engine,
  store: Store,
  dispatchId: string,
  inputs: Uint8Array | undefined,
  reusePreviousResults: boolean,
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
    graph = toTransportGraph(buildGraph(definition, decoded));
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
  });
}
