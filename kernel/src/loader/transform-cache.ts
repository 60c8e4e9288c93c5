// The loader's output kept on disk (the `transform/` folder of Valence's cache directory), so a file
// is transpiled and instrumented once per content rather than once per process and worker thread:
// a cache hit never loads TypeScript. An entry is named by a hash of all its output depends on: the
// file's path and code, how it is prepared, and the loader's own code and TypeScript's version.
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { threadId } from "node:worker_threads";
import { cacheDirectory } from "../cache-directory";

/** Entries kept at most; past it, a write now and then removes the oldest down to LOW_WATER. */
const MAX_ENTRIES = 2000;
const LOW_WATER = 1500;
/** One write in this many checks the folder's size (listing it on every write would cost more than it saves). */
const PRUNE_EVERY = 64;

let loaderIdentity: string | undefined;
let writes = 0;

/**
 * What makes one build of the loader differ from another: the code of `loader/` and `instrument/`
 * in this installation (so a rebuilt or upgraded Valence never reads an older one's output) and the
 * version of TypeScript it would load.
 */
function identity(): string {
  if (loaderIdentity) return loaderIdentity;
  const hash = createHash("sha256");
  for (const dir of [__dirname, join(__dirname, "..", "instrument")]) {
    for (const name of readdirSync(dir)
      .filter((n) => /\.[cm]?js$/.test(n))
      .sort()) {
      hash
        .update(name)
        .update("\0")
        .update(readFileSync(join(dir, name)))
        .update("\0");
    }
  }
  try {
    const typescript = require.resolve("typescript/package.json");
    hash.update((JSON.parse(readFileSync(typescript, "utf8")) as { version: string }).version);
  } catch {
    hash.update("no typescript");
  }
  return (loaderIdentity = hash.digest("hex"));
}

/**
 * The prepared code of a file: from the cache when an entry matches `key` and `code`, else made by
 * `prepare` and stored. The cache is best effort: a folder that cannot be read or written only
 * means the work is done again.
 */
export function cachedTransform(key: readonly unknown[], code: string, prepare: () => string): string {
  let file: string | undefined;
  try {
    const name = createHash("sha256")
      .update(identity())
      .update(JSON.stringify(key))
      .update("\0")
      .update(code)
      .digest("hex");
    file = join(cacheDirectory(), "transform", `${name}.js`);
    return readFileSync(file, "utf8");
  } catch {
    // Not there yet (or no cache): prepared below.
  }
  const prepared = prepare();
  if (file) store(file, prepared);
  return prepared;
}

function store(file: string, prepared: string): void {
  try {
    const dir = join(file, "..");
    mkdirSync(dir, { recursive: true });
    // Written aside then renamed: a reader in another thread or process sees a whole entry or none.
    const partial = `${file}.${process.pid}.${threadId}.partial`;
    writeFileSync(partial, prepared);
    renameSync(partial, file);
    if (++writes % PRUNE_EVERY === 1) prune(dir);
  } catch {
    // A read-only or full disk: the loader works without its cache.
  }
}

function prune(dir: string): void {
  const names = readdirSync(dir).filter((n) => n.endsWith(".js"));
  if (names.length <= MAX_ENTRIES) return;
  const entries = names.flatMap((name) => {
    try {
      return [{ name, at: statSync(join(dir, name)).mtimeMs }];
    } catch {
      return [];
    }
  });
  entries.sort((a, b) => a.at - b.at);
  for (const { name } of entries.slice(0, entries.length - LOW_WATER)) {
    try {
      unlinkSync(join(dir, name));
    } catch {
      // Removed by another process meanwhile.
    }
  }
}
