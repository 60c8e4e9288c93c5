// Valence's module loader (dist/register.js: TypeScript, free-variable capture) is registered in a
// worker or a dispatcher only once a function about to be rebuilt imports a module that is not built
// in: the loader runs on a thread of its own, memory that a process or worker may never need.
import { isBuiltin } from "node:module";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { importsOf, type SerializedFunction } from "../workflow/serialize/spec";

const REGISTER = join(__dirname, "..", "register.js");
let registered = false;

/** Registers the loader (once) if any of `functions` imports a module that is not built in. */
export function registerLoaderFor(functions: readonly SerializedFunction[], loader = REGISTER): void {
  if (registered) return;
  const imports = functions.some((f) =>
    Object.values(f.bindings).some((b) => importsOf(b).some((i) => !isBuiltin(i.specifier))),
  );
  if (!imports || !existsSync(loader)) return;
  registered = true;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- registers itself on load
  require(loader);
}
