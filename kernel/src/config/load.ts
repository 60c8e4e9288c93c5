// Reading a config file: parse the JSON (a syntax error names its line and column), validate it
// (validate.ts), and hand back the document with where it came from. Any problem is a ConfigError
// naming the file, so `valence start` can refuse to start with a message the user can act on.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { ValenceConfig } from "@valence/schema";
import { ConfigError } from "./error";
import { configProblems } from "./validate";

export interface LoadedConfig {
  /** The file, absolute. */
  readonly file: string;
  /** Its directory: where plugin packages are resolved from. */
  readonly dir: string;
  readonly document: ValenceConfig;
}

export function loadConfig(path: string): LoadedConfig {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ConfigError(file, [`cannot be read: ${(error as Error).message}`]);
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(file, [`is not valid JSON: ${withLineAndColumn((error as Error).message, text)}`]);
  }
  const problems = configProblems(document);
  if (problems.length) throw new ConfigError(file, problems);
  return { file, dir: dirname(file), document: document as ValenceConfig };
}

/** JSON.parse's "… at position 42" with the line and column an editor shows. */
function withLineAndColumn(message: string, text: string): string {
  const match = /at position (\d+)/.exec(message);
  if (!match) return message;
  const before = text.slice(0, Number(match[1]));
  const line = before.split("\n").length;
  const column = before.length - before.lastIndexOf("\n");
  return `${message} (line ${line}, column ${column})`;
}
