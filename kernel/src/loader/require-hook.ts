// The CommonJS half of Valence's loader. In Node 20, `require()` does not pass through the
// module.register hooks, so a CommonJS user script (or a `.ts`/`.cts` file loaded by require) would
// run uninstrumented and its functions could not travel. This hooks require's compile step instead.
import Module from "node:module";
import { readFileSync } from "node:fs";
import { isUserFile, prepareFile } from "./transform";
import { recordUserFile } from "./user-files";

interface CompilingModule {
  _compile(code: string, fileName: string): unknown;
}
type ExtensionHandler = (module: CompilingModule, fileName: string) => void;

const INSTALLED = Symbol.for("valence.loader.require");
const state = globalThis as { [INSTALLED]?: boolean };

/** Transpiles `.ts`/`.cts` files and instruments the user's files loaded by require(). Once per thread. */
export function installRequireHook(valenceDist: string): void {
  if (state[INSTALLED]) return;
  state[INSTALLED] = true;
  const extensions = (Module as unknown as { _extensions: Record<string, ExtensionHandler> })._extensions;
  const javascript = extensions[".js"];
  if (!javascript) return;
  const typescript: ExtensionHandler = (module, fileName) => {
    const code = prepareFile(readFileSync(fileName, "utf8"), fileName, {
      typescript: true,
      format: "commonjs",
      valenceDist,
    });
    if (isUserFile(fileName, valenceDist)) recordUserFile({ path: fileName, code });
    module._compile(code, fileName);
  };
  extensions[".ts"] ??= typescript;
  extensions[".cts"] ??= typescript;
  // `.js`: Node's handler stays in charge (it knows when a file is ESM); only its compile is wrapped.
  extensions[".js"] = (module, fileName) => {
    if (isUserFile(fileName, valenceDist)) {
      const compile = module._compile;
      module._compile = function (this: CompilingModule, code: string, file: string) {
        module._compile = compile;
        const prepared = prepareFile(code, file, { typescript: false, format: "commonjs", valenceDist });
        recordUserFile({ path: file, code: prepared });
        return compile.call(this, prepared, file);
      };
    }
    javascript(module, fileName);
  };
}
