// `valence config path | get [key] | set <key> <value> | unset <key>`: the config file a dispatcher
// started here would use, read and changed from a terminal. A change is checked against the schema
// before the file is written, so a mistake never lands in it. Keys are dot paths (local.maxWorkers).
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { Command } from "commander";
import { configProblems, findConfigFile, loadConfig, userConfigFile } from "../config";

interface Where {
  readonly config?: string;
}

const UNSAFE = new Set(["__proto__", "constructor", "prototype"]);

function keyPath(key: string): string[] {
  const parts = key.split(".");
  if (parts.some((part) => part === "" || UNSAFE.has(part))) throw new Error(`"${key}" is not a config key`);
  return parts;
}

function found(options: Where) {
  return findConfigFile(options.config ? { flag: options.config } : {});
}

/** The value at `parts`, or undefined. */
function lookup(document: unknown, parts: readonly string[]): unknown {
  let value = document;
  for (const part of parts) {
    if (value === null || typeof value !== "object" || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** Writes `document` to `file` if it is a valid config; otherwise throws naming the problems. */
function save(file: string, document: Record<string, unknown>): void {
  const problems = configProblems(document);
  if (problems.length) throw new Error(`${file} is unchanged: ${problems.join("; ")}`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(document, null, 2)}\n`);
}

/** The document to change: the file in use, or a new user config when there is none. */
function editable(options: Where): { file: string; document: Record<string, unknown> } {
  const current = found(options);
  if (!current) return { file: userConfigFile(), document: {} };
  return { file: current.path, document: { ...loadConfig(current.path).document } };
}

/** A value as typed: JSON when it parses (3, true, {"a":1}), else the text itself. */
function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function configCommand(): Command {
  const command = new Command("config").description(
    "show or change the config file (valence.config.json here or above, else ~/.config/valence/config.json)",
  );
  command
    .command("path")
    .description("print the config file a dispatcher started here would use")
    .option("--config <file>", "this file instead")
    .action((options: Where) => {
      const current = found(options);
      if (current) console.log(`${current.path} (${current.source})`);
      else console.log(`none: the built-in executors (valence config set writes ${userConfigFile()})`);
    });
  command
    .command("get")
    .description("print the config, or one key of it (a dot path such as local.maxWorkers)")
    .argument("[key]")
    .option("--config <file>", "this file instead")
    .action((key: string | undefined, options: Where) => {
      const current = found(options);
      const document = current ? loadConfig(current.path).document : {};
      const value = key === undefined ? document : lookup(document, keyPath(key));
      if (value === undefined) throw new Error(`${key} is not set${current ? ` in ${current.path}` : ""}`);
      console.log(typeof value === "string" ? value : JSON.stringify(value, null, 2));
    });
  command
    .command("set")
    .description("set a key (the value is JSON when it parses, else text); checked before it is written")
    .argument("<key>")
    .argument("<value>")
    .option("--config <file>", "this file instead")
    .action((key: string, text: string, options: Where) => {
      const parts = keyPath(key);
      const { file, document } = editable(options);
      const changed = structuredClone(document);
      let at: Record<string, unknown> = changed;
      for (const part of parts.slice(0, -1)) {
        const next = at[part];
        at = at[part] = next !== null && typeof next === "object" && !Array.isArray(next) ? { ...next } : {};
      }
      at[parts.at(-1)!] = parseValue(text);
      save(file, changed);
      console.log(`${key} = ${JSON.stringify(lookup(changed, parts))} in ${file}`);
      console.log("a running dispatcher keeps the config it started with: valence stop, then valence start");
    });
  command
    .command("unset")
    .description("remove a key")
    .argument("<key>")
    .option("--config <file>", "this file instead")
    .action((key: string, options: Where) => {
      const parts = keyPath(key);
      const { file, document } = editable(options);
      const changed = structuredClone(document);
      const parent = lookup(changed, parts.slice(0, -1));
      if (parent === null || typeof parent !== "object" || !Object.hasOwn(parent, parts.at(-1)!))
        throw new Error(`${key} is not set in ${file}`);
      delete (parent as Record<string, unknown>)[parts.at(-1)!];
      save(file, changed);
      console.log(`${key} removed from ${file}`);
    });
  return command;
}
