// The data directory holds the token, every dispatch's code and inputs, and their results: only its
// owner may read it. A new one is made 0700; an existing one (an older Valence made its files 0644) is
// tightened at each start (0700, Valence's files 0600), or refused when another user owns it.
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
  tighten(dataDir);
}

/** Creates `path` as an empty 0600 file if it is missing (SQLite gives its WAL the database's mode). */
export function privateFile(path: string): void {
  closeSync(openSync(path, "a", 0o600));
  chmodSync(path, 0o600);
}

/**
 * Takes group and other rights off the directory, everything at its top level, and Valence's own
 * `outputs` tree. Other directories (volumes, what an executor plugin keeps) become private as
 * directories; what they hold is left as it is.
 */
function tighten(dataDir: string): void {
  restrict(dataDir);
  for (const entry of readdirSync(dataDir)) {
    if (entry === "outputs") walk(join(dataDir, entry));
    else restrict(join(dataDir, entry));
  }
}

function walk(path: string): void {
  if (restrict(path)) for (const entry of readdirSync(path)) walk(join(path, entry));
}

/** Keeps only the owner's rights (an executable stays executable); true for a directory. */
function restrict(path: string): boolean {
  const stat = lstatSync(path);
  if (stat.isSymbolicLink()) return false; // never followed: its target is not ours to change
  if ((stat.mode & 0o077) !== 0 && (stat.isDirectory() || stat.isFile())) chmodSync(path, stat.mode & 0o700);
  return stat.isDirectory();
}
