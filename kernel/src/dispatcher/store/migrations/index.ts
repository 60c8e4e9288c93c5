// The store's migrations, in order. Applied at open; the database's user_version records how many
// have run, so an older file is brought up to date and a current one is left alone.
import type { Database } from "better-sqlite3";
import { sql as init } from "./001-init";
import { sql as cacheKeys } from "./002-cache-keys";
import { sql as volumes } from "./003-volumes";

export const migrations: readonly string[] = [init, cacheKeys, volumes];

export function migrate(db: Database): void {
  const current = db.pragma("user_version", { simple: true }) as number;
  if (current > migrations.length) {
    throw new Error(
      `the store was written by a newer Valence (schema ${current}; this one knows ${migrations.length})`,
    );
  }
  for (let version = current; version < migrations.length; version++) {
    db.transaction(() => {
      db.exec(migrations[version]!);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}
