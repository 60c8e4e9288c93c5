// The loader's cache of compiled files (loader/transform-cache.ts): a script run again is read from
// the cache, keeps its stack lines, is compiled anew once edited, and runs without a usable cache.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { registerModule } from "../support/built.ts";

const register = registerModule;
const SCRIPT = [
  "const label: string = 'ran';",
  "function boom(): never { throw new Error('boom'); }",
  "try { boom(); } catch (error) { console.log(label, (error as Error).stack!.split('\\n')[1]); }",
  "",
].join("\n");

function run(script: string, cache: string): string {
  return execFileSync(process.execPath, ["--import", register, script], {
    env: { ...process.env, VALENCE_CACHE_DIR: cache },
    encoding: "utf8",
  });
}

test("a script run again is read from the loader's cache, with its stack at the script's lines; edited, it is compiled anew", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "valence-transform-cache-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const script = join(dir, "flow.ts");
  const cache = join(dir, "cache");
  writeFileSync(script, SCRIPT);

  const first = run(script, cache);
  assert.match(first, /^ran\s+at boom \(.*flow\.ts:2:32\)$/m);
  const entries = readdirSync(join(cache, "transform"));
  assert.equal(entries.length, 1, "one entry: the script (Valence's own files are not compiled)");
  assert.equal(run(script, cache), first, "the cached code runs the same, stack included");

  // The entry is what runs: replaced, the replacement runs.
  writeFileSync(join(cache, "transform", entries[0]!), "console.log('from the cache');\n");
  assert.equal(run(script, cache), "from the cache\n");

  // Edited, the script is compiled again (its new code has an entry of its own).
  writeFileSync(script, SCRIPT.replace("'ran'", "'edited'"));
  assert.match(run(script, cache), /^edited\s+at boom \(.*flow\.ts:2:32\)$/m);
  assert.equal(readdirSync(join(cache, "transform")).length, 2);
});

test("the loader works without a usable cache: its directory is a file", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "valence-transform-cache-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const script = join(dir, "flow.ts");
  const notADirectory = join(dir, "cache");
  writeFileSync(script, SCRIPT);
  writeFileSync(notADirectory, "");
  assert.match(run(script, notADirectory), /^ran\s+at boom \(.*flow\.ts:2:32\)$/m);
  assert.match(run(script, notADirectory), /^ran\s+at boom \(.*flow\.ts:2:32\)$/m);
});
