// Where the config file is, the way users expect: `--config <file>`, else $VALENCE_CONFIG, else
// valence.config.json in the working directory or the nearest parent (the project), else the user's
// $XDG_CONFIG_HOME/valence/config.json (default ~/.config/valence/config.json). None: no config.
import { existsSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { ConfigError } from "./error";

export const PROJECT_CONFIG = "valence.config.json";

/** How the file was found: the flag, the variable, the project directory, or the user config dir. */
export type ConfigSource = "flag" | "env" | "project" | "user";

export interface FoundConfig {
  readonly path: string;
  readonly source: ConfigSource;
}

export interface FindConfigOptions {
  /** `--config <file>`, relative to `cwd`. */
  readonly flag?: string;
  /** Default `process.cwd()`. */
  readonly cwd?: string;
  /** Default `process.env` (VALENCE_CONFIG, XDG_CONFIG_HOME). */
  readonly env?: NodeJS.ProcessEnv;
}

/** The user's config file, whether or not it exists. */
export function userConfigFile(env: NodeJS.ProcessEnv = process.env): string {
  // XDG: a relative XDG_CONFIG_HOME is invalid and ignored.
  const xdg = env.XDG_CONFIG_HOME && isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : undefined;
  return join(xdg ?? join(homedir(), ".config"), "valence", "config.json");
}

/** The config file in use, or undefined when there is none. A named file that is missing throws. */
export function findConfigFile(options: FindConfigOptions = {}): FoundConfig | undefined {
  const cwd = resolve(options.cwd ?? process.cwd());
  const env = options.env ?? process.env;
  if (options.flag) return { path: named(resolve(cwd, options.flag), `--config ${options.flag}`), source: "flag" };
  if (env.VALENCE_CONFIG) {
    return { path: named(resolve(cwd, env.VALENCE_CONFIG), `VALENCE_CONFIG=${env.VALENCE_CONFIG}`), source: "env" };
  }
  for (let dir = cwd; ; dir = dirname(dir)) {
    const candidate = join(dir, PROJECT_CONFIG);
    if (isFile(candidate)) return { path: candidate, source: "project" };
    if (dirname(dir) === dir) break;
  }
  const user = userConfigFile(env);
  return isFile(user) ? { path: user, source: "user" } : undefined;
}

function named(path: string, by: string): string {
  if (isFile(path)) return path;
  throw new ConfigError(path, [`${by}: ${existsSync(path) ? "not a file" : "no such file"}`]);
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
