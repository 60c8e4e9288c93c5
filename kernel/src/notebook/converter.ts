// tslab's compiler, made to keep the way back to the cell's source: its compiler options gain an
// inline source map (cell TypeScript → ES module JavaScript), and `convert` also returns that ES
// module text, from which the CommonJS step's map is made when an error or a dispatch needs it.
// tslab is pinned exactly; if its text ever differs from what is patched here, the stock module is
// used: cells still run, and stack frames name the cell without a line.
import Module from "node:module";
import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import type { ConvertResult, Converter, IsCompleteResult } from "tslab/dist/converter";

export interface MappedResult extends ConvertResult {
  /** The ES module text the CommonJS `output` was made from, ending with its inline source map. */
  readonly esOutput?: string;
  /** The target tslab compiled for (the CommonJS step is redone with it to get its map). */
  readonly transpileTarget?: number;
}

export interface MappedConverter extends Converter {
  convert(prevDecl: string, src: string): MappedResult;
}

type ConverterModule = typeof import("tslab/dist/converter");

const PATCHES: ReadonlyArray<readonly [string, string]> = [
  ["declaration: true,", "declaration: true, inlineSourceMap: true,"],
  [
    "output: esModuleToCommonJSModule(output, transpileTarget),",
    "output: esModuleToCommonJSModule(output, transpileTarget), esOutput: output, transpileTarget,",
  ],
];

let loaded: ConverterModule | undefined;

/** The patched module, loaded once (the kernel's only copy of tslab's converter). */
function converterModule(): ConverterModule {
  if (loaded) return loaded;
  const file = require.resolve("tslab/dist/converter");
  let text = readFileSync(file, "utf8");
  for (const [from, to] of PATCHES) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    if (text.split(from).length !== 2) return (loaded = require(file) as ConverterModule);
    text = text.replace(from, to);
  }
  // A module of its own at tslab's path, so its relative requires resolve there.
  const patched = new Module(file, module);
  patched.filename = file;
  patched.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(dirname(file));
  (patched as unknown as { _compile(code: string, file: string): void })._compile(text, file);
  return (loaded = patched.exports as ConverterModule);
}

export function createMappedConverter(): MappedConverter {
  return converterModule().createConverter({ isJS: false, isBrowser: false });
}

export function isCompleteCode(content: string): IsCompleteResult {
  return converterModule().isCompleteCode(content);
}
