// What a process passes to the dispatcher it starts in the background: `--config <file>` for the
// config found from its own working directory, checked first — so a broken file fails here, with
// its message, rather than in the background dispatcher's log.
import { findConfigFile, type FindConfigOptions } from "./find";
import { loadConfig } from "./load";

export function configStartArgs(options: FindConfigOptions = {}): string[] {
  const found = findConfigFile(options);
  if (!found) return [];
  loadConfig(found.path);
  return ["--config", found.path];
}
