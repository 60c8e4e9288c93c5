// The data directory holds the token, every dispatch's code and inputs, and their results: only its
// owner may read it. A new one is made 0700; an existing one (an older Valence made its files 0644) is
// tightened at each start, or refused when another user owns it.
import { chmodSync, closeSync, lstatSync, mkdirSync, openSync, readdirSync } from "node:fs";
import { join } from "node:path";

/** Makes `dataDir` (and what Valence keeps in it) private to this user; throws when it cannot. */
export function privateDataDir(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const stat = lstatSync(dataDir);
  if (!stat.isDirectory()) throw new Error(`the data directory ${dataDir} is not a directory`);
  const uid = process.getuid?.();
  if (uid !== undefined && stat.uid !== uid) {
    throw new Error(
      `the data directory ${dataDir} belongs to user ${stat.uid}, not to you (${uid}): choose another with --data-dir or VALENCE_DATA_DIR`,
    );
  }
  tighten(dataDir, true);
}

/** Creates `path` as an empty 0600 file if it is missing (SQLite gives its WAL the database's mode). */
export function privateFile(path: string): void {
  closeSync(openSync(path, "a", 0o600));
  chmodSync(path, 0o600);
}

function tighten(path: string, top: boolean): void {
  const stat = lstatSync(path);
  if (stat.isSymbolicLink()) return; // never followed: its target is not ours to change
  if (stat.isDirectory()) {
    if ((stat.mode & 0o077) !== 0) chmodSync(path, 0o700);
    for (const entry of readdirSync(path)) {
      // A volume's contents are the tasks' own files; the volumes directory itself is private.
      if (top && entry === "volumes") chmodSync(join(path, entry), 0o700);
      else tighten(join(path, entry), false);
    }
  } else if (stat.isFile() && (stat.mode & 0o077) !== 0) chmodSync(path, 0o600);
}
