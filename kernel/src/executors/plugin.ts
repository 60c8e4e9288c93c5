// Executors as a plugin point: a module — built in, or an npm package named in the config — that
// exports `createExecutor(options, context)`. Loads one by type (require, else import() for ES-only
// packages) and checks what it returns, with errors that name the executor and the package.
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, isAbsolute, join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Executor } from "./executor";

/** What an executor is told when it is created. */
export interface ExecutorContext {
  /** Its name: the key under `executors` in the config, which electrons use as their `executor`. */
  readonly name: string;
  /** The dispatcher's data directory, for any state the executor keeps. */
  readonly dataDir: string;
}

/**
 * The one export of an executor module: creates the executor from its config entry's options
 * (every property but `type`). Called once when the dispatcher starts; may connect lazily.
 */
export type ExecutorFactory = (
  options: Readonly<Record<string, unknown>>,
  context: ExecutorContext,
) => Executor | Promise<Executor>;

/** The shape of an executor module (an npm package's main export). */
export interface ExecutorModule {
  readonly createExecutor: ExecutorFactory;
}

/** Types served by Valence's own modules (paths relative to this compiled file). */
const BUILT_IN: Readonly<Record<string, string>> = {
  local: "./plugin-local",
  inline: "./plugin-inline",
  bullmq: "./bullmq",
};

export const BUILT_IN_TYPES: readonly string[] = Object.keys(BUILT_IN);

export function isBuiltInType(type: string): boolean {
  return Object.hasOwn(BUILT_IN, type);
}

/** True when the built-in module of `type` is part of this build. */
export function isBuiltInAvailable(type: string): boolean {
  if (!isBuiltInType(type)) return false;
  try {
    require.resolve(BUILT_IN[type]!);
    return true;
  } catch {
    return false;
  }
}

/**
 * Creates executor `context.name` of `type`. A type that is not built in is an npm package (or a
 * ./relative path) resolved from `fromDir` (the config file's directory), then from Valence's own.
 */
export async function createExecutorOfType(
  type: string,
  options: Readonly<Record<string, unknown>>,
  context: ExecutorContext,
  fromDir?: string,
): Promise<Executor> {
  const what = `executor "${context.name}" (type "${type}")`;
  const factory = await loadFactory(type, fromDir, what);
  let executor: unknown;
  try {
    executor = await factory(options, context);
  } catch (error) {
    const message = (error as Error)?.message ?? String(error);
    // An executor's own error that already names it is clear as it is.
    if (error instanceof Error && message.startsWith(`executor "${context.name}"`)) throw error;
    throw new Error(`${what}: createExecutor failed: ${message}`, { cause: error });
  }
  const problems = executorProblems(executor);
  if (problems.length) {
    throw new Error(`${what}: createExecutor returned something that is not an Executor: ${problems.join("; ")}`);
  }
  return executor as Executor;
}

/** Why `value` is not an Executor (empty when it looks like one). */
export function executorProblems(value: unknown): string[] {
  if (typeof value !== "object" || value === null) return [`got ${value === null ? "null" : typeof value}`];
  const e = value as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof e.submit !== "function") problems.push("no submit(task, signal, options) method");
  if (typeof e.close !== "function") problems.push("no close() method");
  const capacity = e.capacity as Record<string, unknown> | undefined;
  if (typeof capacity !== "object" || capacity === null) problems.push("no capacity { cpus, memoryMB, gpus }");
  else {
    for (const key of ["cpus", "memoryMB", "gpus"]) {
      const n = capacity[key];
      if (typeof n !== "number" || !(n >= 0)) problems.push(`capacity.${key} is not a number ≥ 0`);
    }
  }
  if (e.lookahead !== undefined && !(typeof e.lookahead === "number" && e.lookahead >= 0)) {
    problems.push("lookahead is not a number ≥ 0");
  }
  return problems;
}

async function loadFactory(type: string, fromDir: string | undefined, what: string): Promise<ExecutorFactory> {
  let module: unknown;
  let origin: string;
  if (isBuiltInType(type)) {
    origin = `Valence's built-in ${type} executor`;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- by type, at run time
      module = require(BUILT_IN[type]!);
    } catch (error) {
      throw new Error(`${what}: cannot load ${origin}: ${(error as Error).message}`, { cause: error });
    }
  } else {
    const path = resolvePackage(type, fromDir, what);
    origin = `${isAbsolute(type) || type.startsWith(".") ? "module" : "package"} "${type}" (${path})`;
    module = await loadModule(path, what, origin);
  }
  const factory = factoryOf(module);
  if (!factory) {
    throw new Error(
      `${what}: ${origin} does not export createExecutor(options, context) — an executor module exports that function`,
    );
  }
  return factory;
}

function factoryOf(module: unknown): ExecutorFactory | undefined {
  const m = module as { createExecutor?: unknown; default?: { createExecutor?: unknown } } | undefined;
  const factory = m?.createExecutor ?? m?.default?.createExecutor;
  return typeof factory === "function" ? (factory as ExecutorFactory) : undefined;
}

/** The file `type` names, looked up from `fromDir` and then from here; throws naming both. */
function resolvePackage(type: string, fromDir: string | undefined, what: string): string {
  const relative = /^\.\.?([\\/]|$)/.test(type);
  const dirs = isAbsolute(type)
    ? [dirname(type)]
    : relative
      ? [fromDir ?? process.cwd()]
      : [...(fromDir ? [fromDir] : []), __dirname];
  for (const dir of dirs) {
    let found: string | undefined;
    try {
      found = resolveFrom(type, dir);
    } catch (error) {
      throw new Error(`${what}: cannot resolve "${type}" from ${dir}: ${(error as Error).message}`, { cause: error });
    }
    if (found) return found;
  }
  const where = dirs.map((d) => (d === __dirname ? "Valence's own installation" : d)).join(" or ");
  throw new Error(
    `${what}: cannot find the package "${type}" from ${where}` +
      (relative || isAbsolute(type) ? "" : ` — install it where the config file is (npm install ${type})`),
  );
}

function resolveFrom(type: string, dir: string): string | undefined {
  const require = createRequire(join(dir, "noop.js"));
  try {
    return require.resolve(type);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "MODULE_NOT_FOUND" && code !== "ERR_PACKAGE_PATH_NOT_EXPORTED") throw error;
    // An ES-only package (exports with only an "import" condition) require cannot resolve.
    return code === "ERR_PACKAGE_PATH_NOT_EXPORTED" ? esmEntry(type, require.resolve.paths(type) ?? []) : undefined;
  }
}

/** The entry of an ES-only package: its package.json's exports["."] for import, else module/main. */
function esmEntry(name: string, paths: readonly string[]): string | undefined {
  for (const base of paths) {
    const dir = join(base, name);
    if (!existsSync(join(dir, "package.json"))) continue;
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Record<string, unknown>;
    const exports = pkg.exports as unknown;
    const root =
      typeof exports === "object" && exports !== null && "." in exports
        ? exports["." as keyof typeof exports]
        : exports;
    const entry = pick(root) ?? (pkg.module as string | undefined) ?? (pkg.main as string | undefined) ?? "index.js";
    return join(dir, entry);
  }
  return undefined;
}

function pick(target: unknown): string | undefined {
  if (typeof target === "string") return target;
  if (typeof target !== "object" || target === null) return undefined;
  const conditions = target as Record<string, unknown>;
  for (const key of ["import", "node", "default"]) {
    const found = pick(conditions[key]);
    if (found) return found;
  }
  return undefined;
}

async function loadModule(path: string, what: string, origin: string): Promise<unknown> {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a user's package, at run time
    return require(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ERR_REQUIRE_ESM" && code !== "ERR_REQUIRE_ASYNC_MODULE") {
      throw new Error(`${what}: loading ${origin} failed: ${(error as Error).message}`, { cause: error });
    }
  }
  try {
    return await import(pathToFileURL(path).href);
  } catch (error) {
    throw new Error(`${what}: loading ${origin} failed: ${(error as Error).message}`, { cause: error });
  }
}
