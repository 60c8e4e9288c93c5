// deps.npm in the differential campaigns, without a registry: the electrons install the local package
// fixture (kernel/test/fixtures/differential-dep) by path, npm runs offline, and installs go to a
// fresh cache directory per test file (VALENCE_CACHE_DIR, set before the dispatcher's worker threads
// and `valence worker` processes start: they take a copy of the environment). Every deps.npm task of
// the file's campaigns then shares one install of the fixture's set of specs.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";

/** Sets VALENCE_CACHE_DIR to a new directory and npm offline; returns what puts them back (and removes it). */
export function npmCacheEnv(): () => void {
  const dir = mkdtempSync(join(tmpdir(), "valence-differential-cache-"));
  const saved = {
    VALENCE_CACHE_DIR: process.env.VALENCE_CACHE_DIR,
    npm_config_offline: process.env.npm_config_offline,
  };
  process.env.VALENCE_CACHE_DIR = dir;
  process.env.npm_config_offline = "true";
  return () => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    rmSync(dir, { recursive: true, force: true });
  };
}

/** npmCacheEnv until the test file ends. Call it before the dispatcher starts. */
export function useNpmCache(): void {
  after(npmCacheEnv());
}
