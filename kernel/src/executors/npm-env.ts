// npm environments for electrons with `deps: { npm: [...] }`, made where the task runs (a worker
// thread, the dispatcher's own loop, a worker on another machine): one folder per set of specs under
// the cache directory, installed once with the machine's npm and shared by every task, thread and
// process that needs the same set. Rebuilt code then resolves `require` and `import()` there first.
import { mkdir, writeFile } from "node:fs/promises";
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { dirname, isAbsolute, join } from "node:path";
import { cacheDirectory } from "../cache-directory";
import { normalizeNpmSpecs } from "../workflow/npm-specs";
import type { ModuleScope } from "../workflow/serialize";
import { runNpmInstall } from "./npm-install";
import { preparedOnce } from "./prepared-once";

/** Inside node_modules: Valence's loader leaves such files alone (it instruments only user code). */
const HELPER = join("node_modules", ".valence", "make-function.cjs");
const HELPER_SOURCE =
  "// Written by Valence: code made by `new Function` here resolves `import()` from this environment.\n" +
  '"use strict";\nmodule.exports = (...parameters) => new Function(...parameters);\n';

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

const scopes = new Map<string, ModuleScope>();

/**
 * The module scope of the environment of `specs`, installing it first if no thread or process has
 * (waiting if one is installing it now). Rejects with an NpmInstallError when npm fails; the next
 * call tries again.
 */
export async function npmEnvironment(specs: readonly string[]): Promise<ModuleScope> {
  const list = normalizeNpmSpecs(specs);
  const dir = npmEnvironmentDir(list);
  await preparedOnce({
    dir,
    what: `npm packages ${list.join(" ")}`,
    errorName: "NpmInstallError",
    marker: { specs: list },
    make: async (into) => {
      installs++;
      await writeFile(join(into, "package.json"), `${JSON.stringify(PACKAGE, null, 2)}\n`);
      await runNpmInstall(into, list);
      await mkdir(dirname(join(into, HELPER)), { recursive: true });
      await writeFile(join(into, HELPER), HELPER_SOURCE);
    },
  });
  let scope = scopes.get(dir);
  if (!scope) scopes.set(dir, (scope = moduleScope(dir)));
  return scope;
}

const PACKAGE = {
  name: "valence-npm-environment",
  private: true,
  description: "npm packages of a Valence electron's deps.npm, installed by Valence; safe to delete",
};

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
