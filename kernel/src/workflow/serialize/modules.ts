// Modules held in variables — `const fs = require("node:fs")`, `const ct = await import("valence-workflows")`,
// `[ns]` — travel as imports, by specifier: a module's exports are code, not data. An object is
// known as a module from records made by instrumented code (its static imports and literal
// `import("…")` calls, see instrument.ts), from require's cache (CommonJS, by file), and from Node's
// loaded builtins. The records live on globalThis so every loaded copy of valence shares them.
import { builtinModules, createRequire } from "node:module";
import { join, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { types } from "node:util";

/** How an imported binding travels: by module specifier and export name, never by value. */
export interface ImportReference {
  readonly specifier: string;
  /**
   * "default", "*" (namespace), a named export, "=" for `const x = require(specifier)`, or "=*" and
   * "=default" for TypeScript's CommonJS interop (`__importStar(require(s))`, `__importDefault(…)`).
   */
  readonly export: string;
}

type Thunks = Readonly<Record<string, () => unknown>>;
type References = Readonly<Record<string, ImportReference>>;

/** `__valence_module__`: a module's import bindings, read later (an import in a cycle may not be ready). */
export type RecordImports = (thunks: Thunks, references: References) => void;
/** `__valence_import__`: what a literal `import(specifier)` resolves to is that module's namespace. */
export type RecordImport = <T>(promise: Promise<T>, reference: ImportReference) => Promise<T>;

interface Records {
  readonly known: WeakMap<object, ImportReference>;
  pending: Array<{ thunks: Thunks; references: References }>;
}

const RECORDS = Symbol.for("valence.modules");
const global = globalThis as typeof globalThis & {
  [RECORDS]?: Records;
  __valence_module__?: RecordImports;
  __valence_import__?: RecordImport;
};

function records(): Records {
  return (global[RECORDS] ??= { known: new WeakMap(), pending: [] });
}

function remember(value: unknown, reference: ImportReference): void {
  if ((typeof value === "object" && value !== null) || typeof value === "function") {
    const known = records().known;
    if (!known.has(value)) known.set(value, reference);
  }
}

export const recordImports: RecordImports = (thunks, references) => {
  records().pending.push({ thunks, references });
};

export const recordImport: RecordImport = (promise, reference) =>
  promise.then((namespace) => {
    remember(namespace, reference);
    return namespace;
  });

/** Defines `__valence_module__` and `__valence_import__` for instrumented code. Idempotent. */
export function installModuleGlobals(): void {
  global.__valence_module__ ??= recordImports;
  global.__valence_import__ ??= recordImport;
}

/** Reads the import bindings recorded so far; one still in its temporal dead zone waits for later. */
function settle(): void {
  const state = records();
  if (!state.pending.length) return;
  const waiting: Records["pending"] = [];
  for (const { thunks, references } of state.pending) {
    const later: Record<string, () => unknown> = {};
    for (const [name, thunk] of Object.entries(thunks)) {
      try {
        remember(thunk(), references[name]!);
      } catch {
        later[name] = thunk;
      }
    }
    if (Object.keys(later).length) waiting.push({ thunks: later, references });
  }
  state.pending = waiting;
}

/**
 * The import that gives `value`, if it is a module (or an export recorded by an import). A function
 * is one only when recorded, or the exports of a module outside the user's own files: the user's
 * functions travel by value, so that a worker need not load (and run) the user's script.
 */
export function moduleReference(value: object): ImportReference | undefined {
  settle();
  const recorded = records().known.get(value);
  if (recorded) return recorded;
  const loaded = loadedModules().get(value);
  if (loaded && (typeof value !== "function" || loaded.library)) return loaded.reference;
  if (typeof value === "function") return undefined;
  return interopReference(value);
}

/** An ES module namespace object (`import * as ns`, `await import(…)`), whatever its module. */
export function isModuleNamespace(value: unknown): boolean {
  return types.isModuleNamespaceObject(value);
}

/**
 * A namespace or TypeScript interop object around a CommonJS module: the namespace Node makes for it
 * (`import("node:path")`), `__importStar(require(s))` or `__importDefault(require(s))`.
 */
function interopReference(value: object): ImportReference | undefined {
  const inner = (value as { default?: unknown }).default;
  if ((typeof inner !== "object" || inner === null) && typeof inner !== "function") return undefined;
  const module = loadedModules().get(inner);
  if (!module) return undefined;
  const { specifier } = module.reference;
  if (isModuleNamespace(value)) return { specifier, export: "*" };
  const keys = Object.keys(value);
  const same = keys.every(
    (key) =>
      key === "default" ||
      (key in inner && (inner as Record<string, unknown>)[key] === (value as Record<string, unknown>)[key]),
  );
  if (!same) return undefined;
  return { specifier, export: keys.length === 1 ? "=default" : "=*" };
}

interface Loaded {
  readonly reference: ImportReference;
  /** A builtin, a dependency or valence: not one of the user's files. */
  readonly library: boolean;
}

/** valence's own entry point (dist/index.js), which travels as the package name. */
const VALENCE_ENTRY = join(__dirname, "..", "..", "index.js");
const VALENCE_DIST = join(__dirname, "..", "..");

let index = new WeakMap<object, Loaded>();
let indexedFiles = -1;
let indexedBuiltins = -1;

/** Exports of loaded CommonJS modules and builtins, by object; redone when more have loaded. */
function loadedModules(): WeakMap<object, Loaded> {
  const files = Object.keys(require.cache);
  const loadList = (process as { moduleLoadList?: readonly string[] }).moduleLoadList ?? [];
  if (files.length === indexedFiles && loadList.length === indexedBuiltins) return index;
  index = new WeakMap();
  indexedFiles = files.length;
  indexedBuiltins = loadList.length;
  const add = (exports: unknown, loaded: Loaded): void => {
    if (((typeof exports === "object" && exports !== null) || typeof exports === "function") && !index.has(exports))
      index.set(exports, loaded);
  };
  // Builtins the process has loaded (any a user holds is loaded), without loading any other.
  const loadedBuiltins = new Set(loadList.filter((e) => e.startsWith("NativeModule ")).map((e) => e.slice(13)));
  const getBuiltin = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
  for (const name of builtinModules) {
    if (getBuiltin && loadedBuiltins.has(name))
      add(getBuiltin(`node:${name}`), { reference: { specifier: `node:${name}`, export: "=" }, library: true });
  }
  for (const file of files) {
    const module = require.cache[file];
    if (!module || file.endsWith(".json")) continue; // data files travel as data
    add(module.exports, { reference: { specifier: fileSpecifier(file), export: "=" }, library: isLibrary(file) });
  }
  return index;
}

function isLibrary(file: string): boolean {
  return file.includes(`${sep}node_modules${sep}`) || file.startsWith(VALENCE_DIST + sep);
}

/** A package's entry point by its name (resolved again where it runs), any other file by its URL. */
function fileSpecifier(file: string): string {
  if (file === VALENCE_ENTRY) return "valence-workflows";
  const parts = file.split(`${sep}node_modules${sep}`);
  if (parts.length > 1) {
    const rest = parts[parts.length - 1]!.split(sep);
    const name = rest[0]!.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]!;
    try {
      if (createRequire(join(process.cwd(), "noop.js")).resolve(name) === file) return name;
    } catch {
      // Not resolvable by name from here: by file.
    }
  }
  return pathToFileURL(file).href;
}
