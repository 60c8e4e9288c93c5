// Redispatch: rebuild the graph from a stored dispatch's lattice — no source, no kernel — with new
// inputs (or the stored ones), and submit it as a new dispatch.
import { registerLoaderFor } from "../executors/loader-on-demand";
import { buildGraph } from "../workflow/lattice";
import { latticeDefinition } from "../workflow/definition";
import { rebuildLattice, type LatticeSpec } from "../workflow/serialize";
import { toTransportGraph } from "../workflow/transport";
import { DispatchRejected, type Engine } from "./engine";
import type { Store } from "./store/store";
import { decode } from "./values";

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
  const decoded = decode(args);
  if (!Array.isArray(decoded)) throw new DispatchRejected("redispatch inputs must be an array of arguments");
  registerLoaderFor(spec.functions);
  const lattice = await rebuildLattice(spec);
  const definition = latticeDefinition(lattice);
  if (!definition) throw new DispatchRejected(`dispatch ${dispatchId} has no stored lattice`);
  const graph = toTransportGraph(buildGraph(definition, decoded));
  const volume = store.getDispatch(dispatchId)?.volume;
  return engine.submit({
    graph,
    lattice: spec,
    inputs: args,
    ...(reusePreviousResults ? { reuseFrom: dispatchId } : {}),
    ...(volume ? { volume } : {}),
  });
}
