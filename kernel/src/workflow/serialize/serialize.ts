// Functions by value: an electron, a lattice or a plain function becomes its source text plus its
// free variables — other functions, electrons and lattices by value (recursively, cycles by
// reference), imports and modules by specifier, data as structured clones (holding any of those:
// see structure.ts). What cannot travel fails here, at dispatch, with the electron and the variable
// named.
import { serialize as v8serialize } from "node:v8";
import {
  electronDefinition,
  latticeDefinition,
  type AnyFunction,
  type ElectronDefinition,
  type LatticeDefinition,
} from "../definition";
import { WorkflowError } from "../errors";
import { optionsDocument } from "../dag-document";
import { hookList } from "../options";
import { captureOf } from "./capture";
import { isModuleNamespace, moduleReference } from "./modules";
import { originOf } from "./origins";
import { functionSource } from "./source";
import { withHoles } from "./structure";
import type {
  Binding,
  ElectronReference,
  ElectronSpec,
  FunctionSpec,
  LatticeReference,
  LatticeSpec,
  SerializedFunction,
} from "./spec";

export function serializeElectron(electron: ElectronDefinition | AnyFunction): ElectronSpec {
  const definition = typeof electron === "function" ? electronDefinition(electron) : electron;
  if (!definition) throw new TypeError("serializeElectron takes an electron");
  const serializer = new Serializer(`electron "${definition.name}"`);
  const reference = serializer.electron(definition);
  return { version: 1, functions: serializer.functions, electron: reference };
}

export function serializeLattice(lattice: LatticeDefinition | object): LatticeSpec {
  const definition = latticeDefinition(lattice) ?? (lattice as LatticeDefinition);
  if (typeof definition.fn !== "function") throw new TypeError("serializeLattice takes a lattice");
  const serializer = new Serializer(`lattice "${definition.name}"`);
  const reference = serializer.lattice(definition);
  return { version: 1, functions: serializer.functions, lattice: reference };
}

export function serializeFunction(fn: AnyFunction, label = `function "${fn.name || "anonymous"}"`): FunctionSpec {
  const serializer = new Serializer(label);
  const root = serializer.fn(fn, fn.name || "anonymous");
  return { version: 1, functions: serializer.functions, root };
}

function fail(message: string, cause?: unknown): never {
  throw new WorkflowError("NOT_SERIALIZABLE", message, cause === undefined ? undefined : { cause });
}

const LOADER_HINT =
  "Run the script with `valence run file.ts` or `node --import valence-workflows/register file.ts`, so Valence can " +
  "record the variables functions use (in a notebook, the Valence kernel does this).";

class Serializer {
  readonly functions: SerializedFunction[] = [];
  private readonly indexes = new Map<AnyFunction, number>();

  constructor(private readonly owner: string) {}

  electron(definition: ElectronDefinition): ElectronReference {
    const { callBefore, callAfter, ...options } = optionsDocument(definition.options);
    void callBefore;
    void callAfter;
    return {
      name: definition.name,
      options,
      fn: this.fn(definition.fn, definition.name),
      callBefore: hookList(definition.options.callBefore).map((hook) => this.fn(hook, hook.name || "callBefore")),
      callAfter: hookList(definition.options.callAfter).map((hook) => this.fn(hook, hook.name || "callAfter")),
      ...(definition.sublattice ? { sublattice: this.lattice(definition.sublattice) } : {}),
    };
  }

  lattice(definition: LatticeDefinition): LatticeReference {
    // The name travels once, beside the options: a rebuilt lattice has it in its options (it is given
    // one), and a spec must not change when its lattice is sent again (a sublattice's content key).
    const { name: _name, ...options } = definition.options;
    return { name: definition.name, options, fn: this.fn(definition.fn, definition.name) };
  }

  fn(fn: AnyFunction, name: string): number {
    const known = this.indexes.get(fn);
    if (known !== undefined) return known;
    const found = sourceOf(fn);
    if ("problem" in found) {
      fail(
        `${this.owner} cannot be sent: function "${name}" ${PROBLEMS[found.problem]}. Define it as a plain function.`,
      );
    }
    const index = this.functions.length;
    this.indexes.set(fn, index);
    const origin = originOf(fn, found.source);
    const entry: SerializedFunction & { bindings: Record<string, Binding> } = {
      name: fn.name || name,
      source: found.source,
      bindings: {},
      ...(origin ? { origin } : {}),
    };
    this.functions.push(entry);
    const capture = captureOf(fn);
    if (!capture) {
      const free = undeclaredVariables(fn, found.source);
      if (free.length) {
        fail(
          `${this.owner} cannot be sent: function "${name}" uses ${free.map((v) => `"${v}"`).join(", ")} from its ` +
            `surroundings, but this code was not loaded through Valence's loader. ${LOADER_HINT}`,
        );
      }
      return index;
    }
    for (const [variable, reference] of Object.entries(capture.imports)) {
      entry.bindings[variable] = { kind: "import", ...reference };
    }
    for (const [variable, thunk] of Object.entries(capture.thunks)) {
      let value: unknown;
      try {
        value = thunk();
      } catch (error) {
        fail(
          `${this.owner} cannot be sent: variable "${variable}" used by "${name}" is not initialized yet (${(error as Error).message})`,
          error,
        );
      }
      entry.bindings[variable] = this.binding(value, variable, name);
    }
    return index;
  }

  private binding(value: unknown, variable: string, user: string): Binding {
    const where = { variable, user };
    if (typeof value === "function" || latticeDefinition(value) || isModuleNamespace(value))
      return this.special(value as object, variable, where)!;
    try {
      return { kind: "value", data: Buffer.from(v8serialize(value)).toString("base64") };
    } catch (error) {
      // Not plain data: a module, or data holding electrons, lattices, functions or modules.
      if (typeof value === "object" && value !== null) {
        const module = this.special(value, variable, where);
        if (module) return module;
        const { data, holes } = withHoles(value, variable, (item, path) => this.special(item, path, where));
        if (holes.length) {
          try {
            return { kind: "structure", data: Buffer.from(v8serialize(data)).toString("base64"), holes };
          } catch (inner) {
            this.uncloneable(data, where, inner);
          }
        }
      }
      this.uncloneable(value, where, error);
    }
  }

  /** The binding of an electron, lattice, function or module at `path`; undefined for data. */
  private special(value: object, path: string, { variable, user }: Where): Binding | undefined {
    const electron = electronDefinition(value);
    if (electron) return { kind: "electron", electron: this.electron(electron) };
    const lattice = latticeDefinition(value);
    if (lattice) return { kind: "lattice", lattice: this.lattice(lattice) };
    const module = moduleReference(value);
    if (module) return { kind: "import", ...module };
    if (typeof value === "function") {
      const fn = value as AnyFunction;
      if (path === variable) return { kind: "function", fn: this.fn(fn, variable) };
      const found = sourceOf(fn);
      if ("problem" in found)
        fail(
          `${this.owner} cannot be sent: variable "${variable}" used by "${user}" holds a function at ${path}, ` +
            `which cannot travel: ${PROBLEMS[found.problem]}.`,
        );
      return { kind: "function", fn: this.fn(fn, fn.name || path) };
    }
    if (isModuleNamespace(value)) {
      fail(
        `${this.owner} cannot be sent: variable "${variable}" used by "${user}" holds a module` +
          `${path === variable ? "" : ` at ${path}`} whose specifier Valence cannot tell. Import it with a static ` +
          '`import` or a literal `import("…")` in a file Valence\'s loader runs (or a notebook cell), or use `require`.',
      );
    }
    return undefined;
  }

  private uncloneable(value: unknown, { variable, user }: Where, error: unknown): never {
    const path = uncloneablePath(value, variable);
    fail(
      `${this.owner} cannot be sent: variable "${variable}" used by "${user}" ` +
        (path ? `holds ${path.what} at ${path.path}, which` : "holds a value that") +
        ` cannot travel. Values travel as structured clones (plain data, Map, Set, Date, BigInt, typed arrays)` +
        `, holding electrons, lattices, functions and modules.`,
      error,
    );
  }
}

interface Where {
  readonly variable: string;
  readonly user: string;
}

const PROBLEMS = {
  native: "it is a built-in or bound function, which has no source",
  accessor: "getters and setters cannot travel on their own",
  unknown: "its source is not a function expression Valence can rebuild",
} as const;

/** Where inside `value` the first function, symbol or other uncloneable thing is. */
function uncloneablePath(
  value: unknown,
  path: string,
  seen = new Set<unknown>(),
): { path: string; what: string } | undefined {
  if (typeof value === "function") return { path, what: "a function" };
  if (typeof value === "symbol") return { path, what: "a symbol" };
  if (value === null || typeof value !== "object" || seen.has(value)) return undefined;
  seen.add(value);
  if (value instanceof WeakMap || value instanceof WeakSet || value instanceof Promise) {
    return { path, what: `a ${value.constructor.name}` };
  }
  const entries: Array<[string, unknown]> =
    value instanceof Map
      ? [...value].map(([k, v]) => [`${path}.get(${JSON.stringify(k) ?? String(k)})`, v])
      : value instanceof Set
        ? [...value].map((v, i) => [`${path}[set item ${i}]`, v])
        : Object.entries(value).map(([k, v]) => [Array.isArray(value) ? `${path}[${k}]` : `${path}.${k}`, v]);
  for (const [childPath, child] of entries) {
    const found = uncloneablePath(child, childPath, seen);
    if (found) return found;
  }
  return undefined;
}

// Per-function caches: the source check and the diagnostic parse run once per function, however
// often it is serialized (every dispatch serializes every electron of the graph).
const sources = new WeakMap<AnyFunction, ReturnType<typeof functionSource>>();
const verdicts = new WeakMap<AnyFunction, string[]>();
const PROVIDED = new Set(["__name", "__valence_capture__", "__valence_import__", "require"]);

function sourceOf(fn: AnyFunction): ReturnType<typeof functionSource> {
  let found = sources.get(fn);
  if (!found) sources.set(fn, (found = functionSource(fn)));
  return found;
}

/** Free identifiers of un-instrumented source that are not globals here. */
function undeclaredVariables(fn: AnyFunction, source: string): string[] {
  let free = verdicts.get(fn);
  if (!free) {
    // Loaded lazily: the parser is only needed for this diagnostic.
    const { freeVariables } =
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require("../../instrument/free-variables") as typeof import("../../instrument/free-variables");
    // `require` is given to every rebuilt function (see rebuild.ts): it does not need to travel.
    free = freeVariables(source).filter((name) => !PROVIDED.has(name));
    verdicts.set(fn, free);
  }
  return free;
}
