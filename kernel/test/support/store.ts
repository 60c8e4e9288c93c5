// Test support: a Store on a fresh temporary directory, closed and removed when the test ends.
import type { TestContext } from "node:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Store } from "../../dist/dispatcher/store/store.js";

export function openStore(t: TestContext, prefix = "valence-store-"): { store: Store; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const store = Store.open(dir);
  t.after(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { store, dir };
}
