// Where a user's dispatcher keeps its state: one data directory per user (VALENCE_DATA_DIR, else
// $XDG_DATA_HOME/valence, else ~/.local/share/valence) holding the SQLite store, large outputs, the
// runtime file (address + token, mode 0600) and the dispatcher's log.
import { homedir } from "node:os";
import { join } from "node:path";

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.VALENCE_DATA_DIR) return env.VALENCE_DATA_DIR;
  const base = env.XDG_DATA_HOME || join(homedir(), ".local", "share");
  return join(base, "valence");
}

export const runtimeFile = (dataDir: string): string => join(dataDir, "dispatcher.json");
export const logFile = (dataDir: string): string => join(dataDir, "dispatcher.log");
