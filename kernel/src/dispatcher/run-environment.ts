// What a dispatch run needs from the dispatcher around it: the write queue, the executors, stored
// outputs (for resumed, reused and cached nodes), and child dispatches for sublattice nodes.
import type { ExecutorPool } from "./executor-pool";
import type { WriteQueue } from "./write-queue";

export interface RunEnvironment {
  readonly queue: WriteQueue;
  readonly executors: ExecutorPool;
  /** A stored output, for nodes completed before a restart (or already let go of). */
  readonly storedOutput: (dispatchId: string, nodeId: number) => Uint8Array | undefined;
  /** The dispatch ended and its end is committed. */
  readonly finished: (dispatchId: string) => void;
  /** A stored output of an electron with `cache: true` and this content key, from any dispatch. */
  readonly findCached: (cacheKey: string) => Uint8Array | undefined;
  /** The content keys of a dispatch's completed nodes (node id by key). */
  readonly contentKeys: (dispatchId: string) => Map<string, number>;
  /** Runs a sublattice node as a child dispatch; resolves to its serialized result. */
  readonly runSublattice: (
    parentNode: number,
    electron: unknown,
    args: unknown[],
    signal: AbortSignal,
  ) => Promise<Uint8Array>;
}
