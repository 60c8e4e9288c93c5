// `import * as ct from "valence-workflows"` in any notebook directory, without a local install: the cell
// compiler sees this package's types at <cwd>/node_modules/valence-workflows, and cells' `require("valence-workflows")`
// gets the very instance the kernel runs (one registry of captures, one task context).
import { dirname, join, sep } from "node:path";
import type * as TypeScript from "@tslab/typescript-for-tslab";

/** The root of the `valence-workflows` package this kernel belongs to (kernel/ in the workspace). */
export const PACKAGE_ROOT = join(__dirname, "..", "..");
export const PACKAGE_ENTRY = join(PACKAGE_ROOT, "dist", "index.js");

type Sys = typeof TypeScript.sys;

/**
 * Redirects the compiler's view of `<cwd>/node_modules/valence-workflows` to this package. Patches `ts.sys` of
 * tslab's TypeScript, which tslab's compiler host consults for every file outside the cell.
 */
export function exposeTypesTo(ts: { sys: Sys }, cwd: string): void {
  const virtual = join(cwd, "node_modules", "valence-workflows");
  const virtualModules = dirname(virtual);
  const map = (path: string): string =>
    path === virtual || path.startsWith(virtual + sep) || path.startsWith(virtual + "/")
      ? PACKAGE_ROOT + path.slice(virtual.length)
      : path;
  const sys = ts.sys;
  const original = {
    fileExists: sys.fileExists.bind(sys),
    readFile: sys.readFile.bind(sys),
    directoryExists: sys.directoryExists.bind(sys),
    getDirectories: sys.getDirectories.bind(sys),
    readDirectory: sys.readDirectory.bind(sys),
    realpath: sys.realpath?.bind(sys),
  };
  sys.fileExists = (path) => original.fileExists(map(path));
  sys.readFile = (path, encoding) => original.readFile(map(path), encoding);
  sys.directoryExists = (path) => path === virtualModules || original.directoryExists(map(path));
  sys.getDirectories = (path) => original.getDirectories(map(path));
  sys.readDirectory = (path, ...rest) => original.readDirectory(map(path), ...rest);
  // The real path lets the package's own imports (@valence/schema) resolve from where it is installed.
  if (original.realpath) {
    const realpath = original.realpath;
    sys.realpath = (path) => realpath(map(path));
  }
}
