// What Valence's loader does to one file, shared by the ESM hooks (import) and the CommonJS hook
// (require): transpile TypeScript, then instrument the user's own modules so their functions record
// their free variables. TypeScript and the instrumenter are loaded on first use.
import { createRequire } from "node:module";
import { dirname, join, sep } from "node:path";
import type * as TypeScript from "typescript";
import type { instrumentWithInserts as Instrument } from "../instrument";
import { withInstrumentMap } from "./source-maps";
import { cachedTransform } from "./transform-cache";

export type ModuleFormat = "module" | "commonjs";

let typescript: typeof TypeScript | undefined;
let instrumentCode: typeof Instrument | undefined;

/** The user's own files: not dependencies, not valence itself (`valenceDist` is its dist folder). */
export function isUserFile(path: string, valenceDist: string): boolean {
  return (
    !path.includes(`${sep}node_modules${sep}`) &&
    !valenceDirectories(valenceDist).some((dir) => path.startsWith(dir + sep))
  );
}

const ownDirectories = new Map<string, string[]>();

/**
 * Valence's own files: its dist, and its contracts package — which, linked in a workspace, lives
 * outside node_modules and would otherwise be instrumented (and load the parser) in every worker.
 */
function valenceDirectories(valenceDist: string): string[] {
  let directories = ownDirectories.get(valenceDist);
  if (!directories) {
    directories = valenceDist ? [valenceDist] : [];
    try {
      const resolve = createRequire(join(valenceDist || process.cwd(), "loader.js")).resolve;
      directories.push(dirname(resolve("@valence/schema/package.json")));
    } catch {
      // Not installed beside valence: nothing more to exclude.
    }
    ownDirectories.set(valenceDist, directories);
  }
  return directories;
}

/** TypeScript to JavaScript of the given module format (ES2022, source map inline), types erased. */
export function transpile(source: string, fileName: string, format: ModuleFormat): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ts = (typescript ??= require("typescript") as typeof TypeScript);
  return ts.transpileModule(source, {
    fileName,
    compilerOptions: {
      module: format === "module" ? ts.ModuleKind.ESNext : ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
      inlineSourceMap: true,
      inlineSources: true,
    },
  }).outputText;
}

/** The instrumented code, its source map moved by what was added (see source-maps.ts). */
export function instrumentFile(code: string, fileName: string): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  instrumentCode ??= (require("../instrument") as typeof import("../instrument")).instrumentWithInserts;
  const { code: instrumented, inserts } = instrumentCode(code, { fileName });
  return withInstrumentMap(code, instrumented, inserts, fileName);
}

/**
 * The code Node should run for a file: transpiled when `typescript`, instrumented when the user's;
 * kept in the cache (transform-cache.ts) so another process or worker thread does not redo it.
 */
export function prepareFile(
  code: string,
  path: string,
  options: { typescript: boolean; format: ModuleFormat; valenceDist: string },
): string {
  const user = isUserFile(path, options.valenceDist);
  if (!options.typescript && !user) return code;
  return cachedTransform([path, options.format, options.typescript, user], code, () => {
    const javascript = options.typescript ? transpile(code, path, options.format) : code;
    return user ? instrumentFile(javascript, path) : javascript;
  });
}
