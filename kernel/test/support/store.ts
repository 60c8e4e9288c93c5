// Test support: a Store on a fresh temporary directory, closed and removed when the test ends, and the
// node states written to it.
import type { TestContext } from "node:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Store, type NodeRowUpdate } from "#src/dispatcher/store/store.js";

export function openStore(t: TestContext, prefix = "valence-store-"): { store: Store; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const store = Store.open(dir);
  t.after(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { store, dir };
}

/**
 * A node's whole state as the run recorder writes it: completed in one attempt (started 10, ended 11)
 * unless `fields` say otherwise.
 */
export function nodeState(fields: Partial<NodeRowUpdate>): NodeRowUpdate {
  return {
    status: "COMPLETED",
    attempts: 1,
    startedAt: 10,
    endedAt: 11,
    error: undefined,
    output: undefined,
    outputPreview: undefined,
    reused: undefined,
    cacheKey: undefined,
    sharedKey: false,
    worker: undefined,
    queuedMs: undefined,
    ...fields,
  };
}
