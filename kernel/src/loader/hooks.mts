// Node module hooks (module.register) for Valence's loader: resolve TypeScript-style specifiers
// (extensionless, `.js` naming a `.ts`), transpile TypeScript, and instrument user modules — not
// dependencies, not valence itself — so their functions record their free variables.
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import type { MessagePort } from "node:worker_threads";

type ModuleFormat = "module" | "commonjs";
interface ResolveContext {
  parentURL?: string;
}
interface ResolveResult {
  url: string;
  format?: string | null;
  shortCircuit?: boolean;
}
interface LoadResult {
  format: string;
  source?: string | ArrayBuffer | Uint8Array | null;
  shortCircuit?: boolean;
}

const require = createRequire(import.meta.url);
let valenceDist = "";
let files: MessagePort | undefined;
let transformModule: typeof import("./transform.js") | undefined;

/** `files`: where the code of each user module goes, so its functions' origins can be found (user-files.ts). */
export function initialize(data: { valenceDist: string; files?: MessagePort }): void {
  valenceDist = data.valenceDist;
  files = data.files;
}

const TS_EXTENSIONS = new Set([".ts", ".mts", ".cts"]);

export async function resolve(
  specifier: string,
  context: ResolveContext,
  nextResolve: (specifier: string, context: ResolveContext) => Promise<ResolveResult>,
): Promise<ResolveResult> {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    const parent = context.parentURL;
    if (!parent?.startsWith("file:") || !/^(\.{1,2}\/|\/|file:)/.test(specifier)) throw error;
    const candidates = /\.[cm]?js$/.test(specifier)
      ? [
          specifier
            .replace(/\.js$/, ".ts")
            .replace(/\.mjs$/, ".mts")
            .replace(/\.cjs$/, ".cts"),
        ]
      : [`${specifier}.ts`, `${specifier}.mts`, `${specifier}/index.ts`];
    for (const candidate of candidates) {
      const url = new URL(candidate, parent);
      if (existsSync(fileURLToPath(url))) return { url: url.href, shortCircuit: true };
    }
    throw error;
  }
}

export async function load(
  url: string,
  context: object,
  nextLoad: (url: string, context: object) => Promise<LoadResult>,
): Promise<LoadResult> {
  if (!url.startsWith("file:")) return nextLoad(url, context);
  const path = fileURLToPath(url);
  const extension = extname(path);
  if (TS_EXTENSIONS.has(extension)) {
    const format: ModuleFormat = extension === ".cts" ? "commonjs" : "module";
    const source = transform().prepareFile(readFileSync(path, "utf8"), path, { typescript: true, format, valenceDist });
    return { format, source: sent(path, source), shortCircuit: true };
  }
  const loaded = await nextLoad(url, context);
  // ES modules only: CommonJS goes through require's compile step (see require-hook.ts).
  if (loaded.format !== "module" || loaded.source == null) return loaded;
  const code =
    typeof loaded.source === "string" ? loaded.source : Buffer.from(loaded.source as Uint8Array).toString("utf8");
  return {
    ...loaded,
    source: sent(path, transform().prepareFile(code, path, { typescript: false, format: "module", valenceDist })),
  };
}

/** Sends a user file's code to the main thread before it runs; returns it. */
function sent(path: string, code: string): string {
  if (files && transform().isUserFile(path, valenceDist)) files.postMessage({ path, code });
  return code;
}

function transform(): typeof import("./transform.js") {
  return (transformModule ??= require("./transform.js") as typeof import("./transform.js"));
}
