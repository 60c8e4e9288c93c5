// npm environments for electrons with `deps: { npm: [...] }`, made where the task runs (a worker
// thread, the dispatcher's own loop, a worker on another machine): one folder per set of specs under
// the cache directory, installed once with the machine's npm and shared by every task, thread and
// process that needs the same set. Rebuilt code then resolves `require` and `import()` there first.
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { dirname, isAbsolute, join } from "node:path";
import { cacheDirectory } from "../cache-directory";
import { normalizeNpmSpecs } from "../workflow/npm-specs";
import type { ModuleScope } from "../workflow/serialize";
import { acquireLock, type Lock } from "./npm-lock";
import { runNpmInstall } from "./npm-install";

/** Written last: an environment folder without it is half-finished and is installed again. */
const READY = ".valence-ready";
/** Inside node_modules: Valence's loader leaves such files alone (it instruments only user code). */
const HELPER = join("node_modules", ".valence", "make-function.cjs");
const HELPER_SOURCE =
  "// Written by Valence: code made by `new Function` here resolves `import()` from this environment.\n" +
  '"use strict";\nmodule.exports = (...parameters) => new Function(...parameters);\n';
const POLL_MS = 100;

/** The folder of a dependency set: keyed by a hash of its sorted specs, so order and repeats do not matter. */
export function npmEnvironmentDir(specs: readonly string[], env: NodeJS.ProcessEnv = process.env): string {
  const key = createHash("sha256")
    .update(JSON.stringify(normalizeNpmSpecs(specs)))
    .digest("hex")
    .slice(0, 24);
  return join(cacheDirectory(env), "npm", key);
}

let installs = 0;

/** How many npm installs this thread has started (for tests: a reused environment runs none). */
export function npmInstallCount(): number {
  return installs;
}

/** An environment being prepared by this thread, by folder: concurrent tasks wait for one install. */
const preparing = new Map<string, Promise<void>>();
const scopes = new Map<string, ModuleScope>();

/**
 * The module scope of the environment of `specs`, installing it first if no thread or process has
 * (waiting if one is installing it now). Rejects with an NpmInstallError when npm fails; the next
 * call tries again.
 */
export async function npmEnvironment(specs: readonly string[]): Promise<ModuleScope> {
  const list = normalizeNpmSpecs(specs);
  const dir = npmEnvironmentDir(list);
  if (!existsSync(join(dir, READY))) {
    let pending = preparing.get(dir);
    if (!pending) {
      pending = prepare(dir, list).finally(() => preparing.delete(dir));
      preparing.set(dir, pending);
    }
    await pending;
  }
  let scope = scopes.get(dir);
  if (!scope) scopes.set(dir, (scope = moduleScope(dir)));
  return scope;
}

async function prepare(dir: string, specs: string[]): Promise<void> {
  await mkdir(dirname(dir), { recursive: true });
  const since = Date.now();
  let announced = false;
  for (;;) {
    let lock: Lock | undefined;
    try {
      lock = await acquireLock(`${dir}.lock`);
    } catch (error) {
      throw cacheProblem(dir, error);
    }
    if (lock) {
      try {
        // Another installer may have finished between our check and the lock.
        if (!existsSync(join(dir, READY))) await install(dir, specs);
      } finally {
        await lock.release();
      }
      return;
    }
    if (!announced) {
      process.stderr.write(`valence: waiting for another install of npm packages ${specs.join(" ")} in ${dir}\n`);
      announced = true;
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
    if (existsSync(join(dir, READY))) return;
    // The install we waited for failed: report its error rather than run npm again at once.
    const failure = await readFailure(dir, since);
    if (failure) throw failure;
  }
}

async function install(dir: string, specs: string[]): Promise<void> {
  const started = Date.now();
  process.stderr.write(`valence: installing npm packages ${specs.join(" ")} into ${dir} (once for this set)\n`);
  installs++;
  try {
    // Whatever a crashed or failed install left behind goes: the environment is made from scratch.
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "package.json"), `${JSON.stringify(PACKAGE, null, 2)}\n`);
  } catch (error) {
    throw cacheProblem(dir, error);
  }
  try {
    await runNpmInstall(dir, specs);
    await mkdir(dirname(join(dir, HELPER)), { recursive: true });
    await writeFile(join(dir, HELPER), HELPER_SOURCE);
    const ready = join(dir, `${READY}.${process.pid}`);
    await writeFile(ready, `${JSON.stringify({ specs, installedAt: new Date().toISOString() })}\n`);
    await rename(ready, join(dir, READY));
  } catch (error) {
    await writeFile(
      failureFile(dir),
      JSON.stringify({ at: Date.now(), name: (error as Error).name, message: (error as Error).message }),
    ).catch(() => {});
    throw error;
  }
  await rm(failureFile(dir), { force: true });
  process.stderr.write(`valence: installed npm packages in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

const PACKAGE = {
  name: "valence-npm-environment",
  private: true,
  description: "npm packages of a Valence electron's deps.npm, installed by Valence; safe to delete",
};

const failureFile = (dir: string): string => `${dir}.failed`;

/** The failure of an install that ended after `since`, as the error its installer threw. */
async function readFailure(dir: string, since: number): Promise<Error | undefined> {
  let failure: { at: number; name: string; message: string };
  try {
    failure = JSON.parse(await readFile(failureFile(dir), "utf8")) as typeof failure;
  } catch {
    return undefined;
  }
  if (!(failure.at >= since)) return undefined;
  const error = new Error(failure.message);
  error.name = failure.name;
  error.stack = `${error.name}: ${error.message}`;
  return error;
}

function cacheProblem(dir: string, error: unknown): Error {
  const problem = new Error(
    `cannot prepare the npm environment in ${dir}: ${(error as Error).message}. Set VALENCE_CACHE_DIR to a ` +
      `writable folder on the machine that runs the task.`,
    { cause: error },
  );
  problem.name = "NpmInstallError";
  return problem;
}

/**
 * `require` resolving from the environment first, then as rebuilt code does without deps (from the
 * working directory); relative and absolute paths resolve as without deps.
 */
function moduleScope(dir: string): ModuleScope {
  const helper = join(dir, HELPER);
  const own = createRequire(helper);
  const fallback = createRequire(join(process.cwd(), "noop.js"));
  const resolveId = (id: string, options?: { paths?: string[] }): string => {
    if (options?.paths || /^\.\.?([\\/]|$)/.test(id) || isAbsolute(id)) return fallback.resolve(id, options);
    try {
      return own.resolve(id);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "MODULE_NOT_FOUND") throw error;
      return fallback.resolve(id);
    }
  };
  const resolveFn = Object.assign(resolveId, { paths: (id: string) => own.resolve.paths(id) });
  const require = Object.assign((id: string): unknown => own(resolveId(id)), {
    resolve: resolveFn,
    cache: own.cache,
    extensions: own.extensions,
    main: own.main,
  }) as NodeJS.Require;
  const makeFunction = own(helper) as (...parameters: string[]) => unknown;
  const importer = makeFunction("specifier", "return import(specifier);") as (specifier: string) => Promise<unknown>;
  return { require, makeFunction, importModule: importer };
}
