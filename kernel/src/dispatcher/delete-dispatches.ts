// Deleting finished dispatches for good (`valence delete`, `valence purge`): their rows, logs and
// events, the output files beside the database, and their sublattices' dispatches; on request, the
// volumes they named that no remaining dispatch names. An unfinished dispatch is refused: cancel it first.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { isFinal, type DeleteReply } from "@valence/schema";
import { volumeNameProblem } from "../workflow/volume";
import type { Store } from "./store/store";
import { DispatchRejected } from "./validate-dispatch";

/** A dispatch that is still running (or resuming) cannot be deleted; servers answer 409. */
export class DispatchBusy extends Error {
  override readonly name = "DispatchBusy";
  constructor(
    readonly dispatchId: string,
    status: string,
  ) {
    super(`dispatch "${dispatchId}" is ${status}: cancel it (valence cancel ${dispatchId}) before deleting it`);
  }
}

export interface DeleteOptions {
  /** Also the volumes the deleted dispatches named, where no remaining dispatch names them. */
  readonly volumes?: boolean;
}

/**
 * Deletes `ids` (`record` throws for an unknown one) and the dispatches their sublattices started,
 * all finished: `running` says whether the engine still has one (a finished one leaves once its last
 * writes committed). A busy one throws DispatchBusy before anything is deleted or, with `skipBusy`
 * (purge), is kept and counted.
 */
export function deleteDispatches(
  store: Store,
  record: (id: string) => { readonly status: string; readonly parentId?: string; readonly parentNode?: number },
  running: (id: string) => boolean,
  ids: readonly string[],
  options: DeleteOptions & { readonly skipBusy?: boolean } = {},
): DeleteReply {
  const all: string[] = [];
  /** The volumes the dispatches to delete name, read with their status. */
  const named = new Set<string>();
  let kept = 0;
  for (const id of new Set(ids)) {
    const { parentId, parentNode } = record(id);
    if (parentId !== undefined) {
      throw new DispatchRejected(
        `dispatch "${id}" is the sublattice of node ${parentNode} of dispatch "${parentId}": delete that one`,
      );
    }
    const tree = [id];
    for (let i = 0; i < tree.length; i++) tree.push(...store.childIds(tree[i]!));
    const rows = tree.map((d) => store.getDispatch(d));
    const busy = tree.findIndex((d, i) => running(d) || !isFinal(rows[i]?.status ?? "gone"));
    if (busy < 0) {
      all.push(...tree);
      for (const row of rows) if (row?.volume && !volumeNameProblem(row.volume)) named.add(row.volume);
    } else if (options.skipBusy) kept++;
    else throw new DispatchBusy(tree[busy]!, rows[busy]?.status ?? "gone");
  }
  store.deleteDispatches(all);
  for (const id of all) rmSync(join(store.dataDir, "outputs", id), { recursive: true, force: true });
  const volumes = options.volumes ? [...named].filter((name) => store.volumeUsers(name) === 0) : [];
  for (const name of volumes) rmSync(join(store.dataDir, "volumes", name), { recursive: true, force: true });
  return { deleted: all, volumes, kept };
}
