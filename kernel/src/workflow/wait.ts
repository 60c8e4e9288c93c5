// wait(child, parents): ordering without data, as Covalent's ct.wait — the child starts only after
// every parent finished. Returns the child so it reads inline: `wait(load(), [setup])`.
import { currentBuild } from "./build-context";
import { WorkflowError } from "./errors";
import { futureOf } from "./future";
import type { FutureHandle } from "./types";

export function wait<F extends FutureHandle<unknown>>(
  child: F,
  parents: FutureHandle<unknown> | readonly FutureHandle<unknown>[],
): F {
  const context = currentBuild();
  const target = futureOf(child);
  if (!context || !target || target.context !== context) {
    throw new WorkflowError(
      "FUTURE_OUTSIDE_BUILD",
      "wait(child, parents) is called inside a lattice body, with futures from that lattice's electron calls.",
    );
  }
  const list: readonly unknown[] = Array.isArray(parents) ? parents : [parents];
  for (const parent of list) {
    const source = futureOf(parent);
    if (!source || source.context !== context) {
      throw new WorkflowError(
        "FUTURE_OUTSIDE_BUILD",
        `wait(${context.describe(target.node)}, …): every parent must be a future from this lattice body.`,
      );
    }
    context.graph.addWaitEdge(source.node, target.node, (id) => context.describe(id));
  }
  return child;
}
