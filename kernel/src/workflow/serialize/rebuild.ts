// Rebuilding serialized functions where they run (a worker, a restarted dispatcher): every function
// is evaluated in a scope of its own whose free variables are assigned after all functions exist, so
// mutual recursion works; imports are loaded by specifier; values are structured-clone copies.
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { deserialize } from "node:v8";
import { electron, type Electron } from "../electron";
import { lattice, type Lattice } from "../lattice";
import type { AnyFunction } from "../definition";
import type { ElectronOptions, Hook } from "../options";
import { recordCapture, type ImportReference } from "./capture";
import { recordImport } from "./modules";
import { fillHoles } from "./structure";
import { keepOrigin, scriptName } from "./origins";
import type {
  Binding,
  ElectronReference,
  ElectronSpec,
  FunctionSpec,
  LatticeReference,
  LatticeSpec,
  SerializedFunction,
} from "./spec";

// Functions compiled by tsx/esbuild call `__name(fn, "name")`; provide it so such sources rebuild.
const nameHelper = (target: object, value: string): object =>
  Object.defineProperty(target, "name", { value, configurable: true });

/**
 * How rebuilt code reaches modules: `require(…)` in a function body (a notebook cell or a CommonJS
 * script compiles `import()` to it), `import(…)`, and import bindings. By default `require` resolves
 * from the working directory; an electron with `deps.npm` gets its dependency environment's.
 */
export interface ModuleScope {
  readonly require: NodeJS.Require;
  /**
   * `new Function` called from a file inside the environment: `import()` in code made so resolves
   * from that file (code made by `new Function` here would resolve from Valence's own folder).
   */
  readonly makeFunction?: (...parameters: string[]) => unknown;
  /** `import(specifier)` from the environment, for ES-only packages `require.resolve` cannot find. */
  readonly importModule?: (specifier: string) => Promise<unknown>;
}

interface Made {
  readonly fn: AnyFunction;
  readonly bind: (values: Record<string, unknown>) => void;
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** `name = values["name"]` per binding; a notebook cell's `exports.f` bindings rebuild `exports` as `{ f }`. */
function assignments(bindings: readonly string[]): { names: string[]; code: string } {
  const names = bindings.filter((name) => IDENTIFIER.test(name));
  const code = names.map((n) => `${n} = values[${JSON.stringify(n)}];`);
  const members = new Map<string, string[]>();
  for (const binding of bindings) {
    const [object, member] = binding.split(".", 2);
    if (member !== undefined && IDENTIFIER.test(object!) && !names.includes(object!))
      members.set(object!, [...(members.get(object!) ?? []), binding]);
  }
  for (const [object, keys] of members) {
    names.push(object);
    const fields = keys.map((key) => `${JSON.stringify(key.slice(object.length + 1))}: values[${JSON.stringify(key)}]`);
    code.push(`${object} = { ${fields.join(", ")} };`);
  }
  return { names, code: code.join(" ") };
}

type Factory = (
  capture: typeof recordCapture,
  name: typeof nameHelper,
  record: typeof recordImport,
  require: NodeJS.Require,
) => Made;

function compile(entry: SerializedFunction, modules: ModuleScope): Made {
  const { names, code } = assignments(Object.keys(entry.bindings));
  // In an array literal the function gets no name from the binding (`const x = () => …` would name it "x").
  // The preamble is one line, so the function's own lines start on the body's second line; a function
  // with a known origin gets a script name its stack frames carry, which `mapStack` resolves.
  const body =
    `"use strict"; ${names.length ? `let ${names.join(", ")}; ` : ""}const __valence_fn__ = [\n${entry.source}` +
    `\n][0];\nreturn { fn: __valence_fn__, bind(values) { ${code} } };` +
    (entry.origin ? `\n//# sourceURL=${scriptName(entry.origin)}` : "");
  // A function that captured a variable named `require` keeps it; the others get the scope's.
  // `__valence_import__` wraps a literal `import(…)` in instrumented code (see modules.ts).
  const parameters = [
    "__valence_capture__",
    "__name",
    "__valence_import__",
    ...(names.includes("require") ? [] : ["require"]),
  ];
  let made: Made;
  try {
    const factory = (modules.makeFunction?.(...parameters, body) ?? new Function(...parameters, body)) as Factory;
    made = factory(recordCapture, nameHelper, recordImport, modules.require);
  } catch (error) {
    throw new Error(`cannot rebuild function "${entry.name}": ${(error as Error).message}`, { cause: error });
  }
  // An arrow's source has no name in it; the name it had (`const f = () => …`) travelled beside it.
  if (made.fn.name === "" && entry.name !== "") nameHelper(made.fn, entry.name);
  if (entry.origin) keepOrigin(made.fn, entry.origin);
  return made;
}

class Rebuilder {
  private readonly made: Made[];
  private readonly electrons = new Map<ElectronReference, Electron<unknown[], unknown>>();
  private readonly lattices = new Map<LatticeReference, Lattice<unknown[], unknown>>();
  private readonly require: NodeJS.Require;

  constructor(
    private readonly functions: readonly SerializedFunction[],
    private readonly modules?: ModuleScope,
  ) {
    this.require = modules?.require ?? createRequire(join(process.cwd(), "noop.js"));
    const scope = { ...modules, require: this.require };
    this.made = functions.map((entry) => compile(entry, scope));
  }

  async bindAll(): Promise<void> {
    for (const [i, entry] of this.functions.entries()) {
      const values: Record<string, unknown> = {};
      const thunks: Record<string, () => unknown> = {};
      const imports: Record<string, ImportReference> = {};
      for (const [name, binding] of Object.entries(entry.bindings)) {
        values[name] = await this.value(binding);
        if (binding.kind === "import") imports[name] = { specifier: binding.specifier, export: binding.export };
        else thunks[name] = () => values[name];
      }
      this.made[i]!.bind(values);
      // A rebuilt function can travel again (redispatch, sublattices): it records what it was given.
      recordCapture(this.made[i]!.fn, thunks, imports);
    }
  }

  fn(index: number): AnyFunction {
    const made = this.made[index];
    if (!made) throw new RangeError(`serialized spec has no function ${index}`);
    return made.fn;
  }

  electron(reference: ElectronReference): Electron<unknown[], unknown> {
    let rebuilt = this.electrons.get(reference);
    if (!rebuilt) {
      const hooks = (list: readonly number[]): Hook[] => list.map((i) => this.fn(i) as Hook);
      const options: ElectronOptions = {
        ...reference.options,
        name: reference.name,
        ...(reference.callBefore.length ? { callBefore: hooks(reference.callBefore) } : {}),
        ...(reference.callAfter.length ? { callAfter: hooks(reference.callAfter) } : {}),
      };
      rebuilt = reference.sublattice
        ? electron(this.lattice(reference.sublattice), options)
        : electron(this.fn(reference.fn), options);
      this.electrons.set(reference, rebuilt);
    }
    return rebuilt;
  }

  lattice(reference: LatticeReference): Lattice<unknown[], unknown> {
    let rebuilt = this.lattices.get(reference);
    if (!rebuilt) {
      rebuilt = lattice(this.fn(reference.fn), { ...reference.options, name: reference.name });
      this.lattices.set(reference, rebuilt);
    }
    return rebuilt;
  }

  private async value(binding: Binding): Promise<unknown> {
    switch (binding.kind) {
      case "function":
        return this.fn(binding.fn);
      case "electron":
        return this.electron(binding.electron);
      case "lattice":
        return this.lattice(binding.lattice);
      case "value":
        return deserialize(Buffer.from(binding.data, "base64"));
      case "import":
        return this.importBinding(binding.specifier, binding.export);
      case "structure": {
        const values: unknown[] = [];
        for (const hole of binding.holes) values.push(await this.value(hole.binding));
        return fillHoles(deserialize(Buffer.from(binding.data, "base64")), binding.holes, values);
      }
    }
  }

  private async importBinding(specifier: string, name: string): Promise<unknown> {
    if (name.startsWith("=")) {
      const module = (
        specifier.startsWith("file:") ? this.require(new URL(specifier).pathname) : this.requireModule(specifier)
      ) as Record<string, unknown> | null;
      return name === "=" ? module : interop(module, name === "=*");
    }
    let url = specifier;
    let namespace: Record<string, unknown> | undefined;
    if (!/^(node:|file:|data:)/.test(specifier)) {
      try {
        url = pathToFileURL(this.require.resolve(specifier)).href;
      } catch {
        // An ES-only package of the environment; else a builtin without the node: prefix, or
        // something resolvable only from here.
        if (this.modules?.importModule) namespace = (await this.modules.importModule(specifier)) as typeof namespace;
        url = specifier;
      }
    }
    namespace ??= (await import(url)) as Record<string, unknown>;
    return name === "*" ? namespace : namespace[name];
  }

  /** "valence-workflows" is found even where the working directory has no copy: this one, the running one. */
  private requireModule(specifier: string): unknown {
    try {
      return this.require(specifier);
    } catch (error) {
      if (specifier !== "valence-workflows" || (error as { code?: string }).code !== "MODULE_NOT_FOUND") throw error;
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return require(join(__dirname, "..", "..", "index.js"));
    }
  }
}

/** What TypeScript's `__importStar` / `__importDefault` make of a CommonJS module. */
function interop(module: Record<string, unknown> | null, star: boolean): unknown {
  if (module?.__esModule) return module;
  return star && module !== null && typeof module === "object" ? { ...module, default: module } : { default: module };
}

async function rebuilder(functions: readonly SerializedFunction[], modules?: ModuleScope): Promise<Rebuilder> {
  const rebuilt = new Rebuilder(functions, modules);
  await rebuilt.bindAll();
  return rebuilt;
}

export async function rebuildFunction(spec: FunctionSpec): Promise<AnyFunction> {
  return (await rebuilder(spec.functions)).fn(spec.root);
}

/** `modules`: where its code finds packages (an electron with `deps.npm`: its environment). */
export async function rebuildElectron(
  spec: ElectronSpec,
  modules?: ModuleScope,
): Promise<Electron<unknown[], unknown>> {
  return (await rebuilder(spec.functions, modules)).electron(spec.electron);
}

export async function rebuildLattice(spec: LatticeSpec): Promise<Lattice<unknown[], unknown>> {
  return (await rebuilder(spec.functions)).lattice(spec.lattice);
}
