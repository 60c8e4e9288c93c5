// The store's migrations, in order, append-only: a change to the layout is a new numbered file, never
// an edit of an old one. Applied at open; the database's user_version records how many have run, so
// an older file is brought up to date and a current one is left alone. The SQL is embedded in .ts
// modules so that it ships in dist/ (tsc does not copy .sql files).
import type { Database } from "better-sqlite3";
import { sql as init } from "./001-init";
import { sql as cacheKeys } from "./002-cache-keys";
import { sql as volumes } from "./003-volumes";
import { sql as eventBlocks } from "./004-event-blocks";
import { sql as contentKeys } from "./005-content-keys";
import { sql as dispatchSpecs } from "./006-dispatch-specs";
import { sql as nodeWorkers } from "./007-node-workers";
import { sql as nodeLists } from "./008-node-lists";
import { sql as nodeBlocks } from "./009-node-blocks";
import { sql as triggers } from "./010-triggers";

export const migrations: readonly string[] = [
  init,
  cacheKeys,
  volumes,
  eventBlocks,
  contentKeys,
  dispatchSpecs,
  nodeWorkers,
  nodeLists,
  nodeBlocks,
  triggers,
];

/** Brings `db` to the newest layout. Throws, changing nothing, for a file from a newer Valence. */
export function migrate(db: Database): void {
  // IMMEDIATE: the version is read under the write lock, so two processes opening one file at once
  // cannot both apply the same migration. All pending migrations commit together or not at all.
  db.transaction(() => {
    const current = db.pragma("user_version", { simple: true }) as number;
    if (current > migrations.length) {
      throw new Error(
        `the store was written by a newer Valence (schema ${current}; this one knows ${migrations.length})`,
      );
    }
    for (let version = current; version < migrations.length; version++) db.exec(migrations[version]!);
    if (current < migrations.length) db.pragma(`user_version = ${migrations.length}`);
  }).immediate();
}
