// A sublattice node runs as a child dispatch, built when the node runs, with the real inputs: the
// lattice is rebuilt from its spec, its graph dry-run, and submitted with the parent's volume; after
// a restart the node reattaches to the child it had started. Nesting is capped (MAX_SUBLATTICE_DEPTH).
import type { NewDispatchRequest } from "./new-dispatch";
import type { Store } from "./store/store";
import { registerLoaderFor } from "../executors/loader-on-demand";
import { toTransportGraph } from "../workflow/transport";
import { buildGraph } from "../workflow/lattice";
import { latticeDefinition } from "../workflow/definition";
import { rebuildLattice, type ElectronSpec, type LatticeSpec } from "../workflow/serialize";
import { ShuttingDown } from "./dispatch-run";
import { encode } from "../shared/values";
import { DispatchRejected } from "./validate-dispatch";

/**
 * Sublattices nest at most this deep (a dispatch and its sublattices' child dispatches): a sublattice
 * that contains itself, without a base case, otherwise made child dispatches until memory ran out.
 */
export const MAX_SUBLATTICE_DEPTH = 64;

/** What running a child dispatch needs of the engine. */
export interface ChildDispatches {
  store(): Store;
  submit(request: NewDispatchRequest): string;
  cancel(id: string): void;
  whenFinished(id: string): Promise<void>;
}

/**
 * A sublattice node runs as a child dispatch, built now with the real inputs. After a restart the
 * node reattaches to the child it had started instead of starting another. In a redispatch with
 * reuse (`reuseFrom`), the child reuses what the same node's child there completed.
 */
export async function runSublattice(
  engine: ChildDispatches,
  node: { readonly parentId: string; readonly parentNode: number; readonly reuseFrom: string | undefined },
  spec: ElectronSpec,
  args: unknown[],
  signal: AbortSignal,
): Promise<Uint8Array> {
  const { parentId, parentNode, reuseFrom } = node;
  const store = engine.store();
  // Whatever its end: a child that failed before the node's failure was stored fails it again.
  const earlier = store.listDispatches({ parentId, limit: 10_000 }).find((d) => d.parentNode === parentNode);
  let childId = earlier?.id;
  if (!childId) {
    if (!spec.electron.sublattice) throw new Error(`node ${parentNode} is not a sublattice`);
    if (depth(store, parentId) >= MAX_SUBLATTICE_DEPTH) {
      throw Object.assign(
        new Error(
          `sublattice "${spec.electron.name}" would be nested more than ${MAX_SUBLATTICE_DEPTH} deep: does it contain itself without a base case?`,
        ),
        { name: "SublatticeTooDeep" },
      );
    }
    const lattice: LatticeSpec = { version: 1, functions: spec.functions, lattice: spec.electron.sublattice };
    registerLoaderFor(spec.functions);
    const definition = latticeDefinition(await rebuildLattice(lattice))!;
    const graph = toTransportGraph(buildGraph(definition, args));
    const volume = store.getDispatch(parentId)?.volume;
    // Reuse is by content key: a child of another node (the graph changed) only gives what is the same.
    const reuseChild =
      reuseFrom === undefined
        ? undefined
        : store.listDispatches({ parentId: reuseFrom, limit: 10_000 }).find((d) => d.parentNode === parentNode)?.id;
    try {
      childId = engine.submit({
        graph,
        lattice,
        inputs: encode(args),
        parentId,
        parentNode,
        ...(reuseChild ? { reuseFrom: reuseChild } : {}),
        ...(volume ? { volume } : {}),
      });
    } catch (error) {
      // The refusal names a node of the child's graph: say whose graph, on the parent's node.
      if (!(error instanceof DispatchRejected)) throw error;
      throw new DispatchRejected(`sublattice "${spec.electron.name}" was refused at dispatch: ${error.message}`);
    }
  }
  const child = childId;
  // A shutdown stops the parent without touching the child: both resume at the next start.
  const cancelChild = (): void => {
    if (!(signal.reason instanceof ShuttingDown)) engine.cancel(child);
  };
  signal.addEventListener("abort", cancelChild, { once: true });
  if (signal.aborted) cancelChild(); // cancelled while the child was being built
  try {
    await engine.whenFinished(child);
  } finally {
    signal.removeEventListener("abort", cancelChild);
  }
  const record = store.getDispatch(child);
  if (!record) throw new Error(`sublattice "${spec.electron.name}": its dispatch ${child} is not in the store`);
  if (record.status === "COMPLETED") return store.getResult(child)!;
  throw Object.assign(
    new Error(
      `sublattice "${spec.electron.name}" (dispatch ${child}) ${record.status.toLowerCase()}: ${record.error?.message ?? ""}`,
    ),
    {
      name: "SublatticeFailed",
    },
  );
}

/** The dispatches from `id` up to its top-level one (1 for a top-level dispatch), counted up to the limit. */
function depth(store: Store, id: string): number {
  let depth = 1;
  for (let at = store.getDispatch(id)?.parentId; at !== undefined && depth <= MAX_SUBLATTICE_DEPTH; depth++) {
    at = store.getDispatch(at)?.parentId;
  }
  return depth;
}
