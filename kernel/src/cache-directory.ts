// Valence's cache directory, shared by the parts that keep files there (npm environments, the
// loader's compiled files). A leaf: Node's modules only, so any layer may import it.
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";

/** `$VALENCE_CACHE_DIR`, else `$XDG_CACHE_HOME/valence`, else `~/.cache/valence`. */
export function cacheDirectory(env: NodeJS.ProcessEnv = process.env): string {
  if (env.VALENCE_CACHE_DIR) return resolve(env.VALENCE_CACHE_DIR);
  // The XDG spec ignores a relative XDG_CACHE_HOME.
  if (env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME)) return join(env.XDG_CACHE_HOME, "valence");
  return join(homedir(), ".cache", "valence");
}
