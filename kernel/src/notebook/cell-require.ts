// The `require` cells run with: modules resolve from the notebook's directory as in tslab; "valence-workflows"
// is this kernel's own instance; "tslab" is tslab's public API (its `display` keeps working); local
// .ts files a cell imports are the compiler's side outputs, loaded as modules of their own.
import Module, { createRequire } from "node:module";
import { dirname, extname, join } from "node:path";
import { PACKAGE_ENTRY } from "./valence-module";

export type CellRequire = (id: string) => unknown;

export class CellModules {
  private readonly sources = new Map<string, string>();
  private readonly loaded = new Map<string, Module>();

  constructor(private readonly rootDir: string) {}

  /** The compiler emitted these local files (a cell imported them): later requires load the new code. */
  update(outputs: readonly { path: string; data: string }[]): void {
    for (const output of outputs) {
      this.loaded.delete(output.path);
      this.sources.set(output.path, output.data);
    }
  }

  requireFrom(directory: string = this.rootDir): CellRequire {
    const base = createRequire(join(directory, "cell.js"));
    return (id: string) => {
      if (id === "valence-workflows") return base(PACKAGE_ENTRY);
      if (id === "tslab") return base(require.resolve("tslab"));
      return this.local(directory, id) ?? base(id);
    };
  }

  private local(directory: string, id: string): unknown {
    if (!id.startsWith(".")) return undefined;
    let path = join(directory, id);
    if (extname(path) === "") path += ".js";
    const cached = this.loaded.get(path);
    if (cached) return cached.exports;
    const source = this.sources.get(path);
    if (source === undefined) return undefined;
    const module = new Module(path);
    module.filename = path;
    module.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(dirname(path));
    module.require = Object.assign(this.requireFrom(dirname(path)), module.require) as NodeJS.Require;
    this.loaded.set(path, module);
    (module as unknown as { _compile(code: string, file: string): void })._compile(source, path);
    return module.exports;
  }
}
