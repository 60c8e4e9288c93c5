// `valence run <file>`: runs a user's workflow script with Valence's loader (TypeScript, and the
// free-variable capture that lets functions travel by value) and a progress bar per workflow run.
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { existsSync } from "node:fs";
import { showRunProgress } from "./progress";

export async function runScript(file: string, scriptArgs: string[]): Promise<void> {
  const path = resolve(file);
  if (!existsSync(path)) throw new Error(`valence run: no such file: ${file}`);
  // The loader registers itself on load, exactly as `node --import valence-workflows/register` does.
  await import("../register.js");
  process.argv = [process.argv[0]!, path, ...scriptArgs];
  const stopProgress = showRunProgress();
  process.once("beforeExit", stopProgress);
  try {
    await import(pathToFileURL(path).href);
  } finally {
    stopProgress();
  }
}
