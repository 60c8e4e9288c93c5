// Running cells: tslab's compiler turns a cell into JavaScript (type-checked against the declarations
// of earlier cells); Valence instruments it so its functions can travel by value, then runs it in the
// kernel's own context. Every top-level name lands in one table (`exports`), which later cells read.
import { runInThisContext } from "node:vm";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Converter } from "tslab/dist/converter";
import type { ImportReference, Insert } from "../instrument";
import { installCaptureGlobal } from "../workflow/serialize/capture";
import { setOriginLocator } from "../workflow/serialize/origins";
import { CellModules } from "./cell-require";
import { CellScript, withoutSourceMaps } from "./cell-maps";
import { createMappedConverter, type MappedConverter } from "./converter";
import { compileError, runtimeError, type CellError, type CellFrames } from "./tracebacks";
import { exposeTypesTo } from "./valence-module";

export type { CellError } from "./tracebacks";

export type CellOutcome =
  | { readonly status: "ok"; readonly value?: { readonly current: unknown } }
  | { readonly status: "error"; readonly error: CellError };

const TABLE = "__valence_cells__";
const PREFIX = "(async function (exports, require) { ";

export class CellRunner {
  private readonly converter: MappedConverter;
  private readonly modules: CellModules;
  /** Every cell that ran, by the name its stack frames carry: the way back to its source. */
  private readonly scripts = new Map<string, CellScript>();
  private readonly frames: CellFrames = {
    isCell: (file) => this.scripts.has(file),
    map: (file, line, column) => this.scripts.get(file)?.original(line, column),
  };
  private declarations = "";
  /** Earlier cells' names bound by imports (they travel by specifier). */
  private readonly imports = new Map<string, ImportReference>();
  private interruption?: (error: Error) => void;
  private readonly ts: typeof import("@tslab/typescript-for-tslab");
  /** Every cell's top-level declarations, as compiled cells refer to them (`exports.name`). */
  readonly locals: Record<string, unknown>;

  constructor(readonly rootDir: string) {
    installCaptureGlobal();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    this.ts = require("@tslab/typescript-for-tslab") as typeof import("@tslab/typescript-for-tslab");
    exposeTypesTo(this.ts, rootDir);
    this.converter = createMappedConverter();
    this.modules = new CellModules(rootDir);
    this.locals = cellTable();
    (globalThis as Record<string, unknown>)[TABLE] = { exports: this.locals, require: this.modules.requireFrom() };
    // A function a dispatch sends away carries where in which cell it was written (the latest cell
    // holding its text), so its failure's stack points there.
    setOriginLocator((_fn, source) => {
      for (const script of [...this.scripts.values()].reverse()) {
        const at = script.code.indexOf(source);
        if (at !== -1) return script.originOf(at, source.length);
      }
      return undefined;
    });
  }

  get typescriptVersion(): string {
    return this.ts.version;
  }

  /** Runs one cell; `label` names it in stack traces ("cell [3]"). */
  async run(code: string, label = "cell"): Promise<CellOutcome> {
    label = this.uniqueLabel(label);
    const converted = this.converter.convert(this.declarations, code);
    if (converted.sideOutputs) this.modules.update(converted.sideOutputs);
    if (converted.diagnostics.length) return { status: "error", error: compileError(converted.diagnostics) };
    if (!converted.output) {
      this.declarations = converted.declOutput ?? "";
      return { status: "ok" };
    }
    // The parser (and the TypeScript it loads) is needed only by cells that import, redeclare an
    // imported name, or define functions: a trivial cell, and the kernel's start, skip it.
    const mentionsImport = [...this.imports.keys()].some((name) =>
      new RegExp(`(^|[^\\w$])${name.replace(/\$/g, "\\$")}(?![\\w$])`).test(code),
    );
    if (/\bimport\b/.test(code) || mentionsImport) {
      const bindings = instrumenter().topLevelBindings(code);
      for (const name of bindings.declared) this.imports.delete(name);
      for (const [name, reference] of bindings.imports)
        this.imports.set(name, resolveRelative(reference, this.rootDir));
    }
    const compiled = withoutSourceMaps(converted.output);
    const { code: body, inserts } = /=>|\bfunction\b|\bclass\b/.test(compiled)
      ? instrumenter().instrumentWithInserts(compiled, {
          fileName: join(this.rootDir, "cell.ts"),
          cellExports: { object: "exports", imports: (name) => this.imports.get(name) },
        })
      : { code: compiled, inserts: [] as Insert[] };
    // Always async: tslab misses some top-level awaits (`(await import("x")).y`); synchronous code
    // still runs within runInThisContext, where SIGINT can stop it.
    const wrapped = `${PREFIX}${body}\n})(${TABLE}.exports, ${TABLE}.require)`;
    const { esOutput, transpileTarget } = converted;
    const parts =
      esOutput === undefined || transpileTarget === undefined
        ? undefined
        : { compiled, esOutput, transpileTarget, inserts, prefix: PREFIX.length, sourceLines: code.split("\n").length };
    this.scripts.set(label, new CellScript(label, wrapped, parts, this.ts));
    try {
      const completion = runInThisContext(wrapped, { filename: label, breakOnSigint: true }) as Promise<unknown>;
      await this.interruptible(completion);
    } catch (error) {
      return { status: "error", error: this.errorOf(error) };
    }
    this.declarations = converted.declOutput ?? "";
    const last = converted.lastExpressionVar;
    if (!last || !(last in this.locals)) return { status: "ok" };
    const current = this.locals[last];
    delete this.locals[last];
    return current === undefined ? { status: "ok" } : { status: "ok", value: { current } };
  }

  /** A thrown value as the notebook shows it: cell frames at the cells' own lines and columns. */
  errorOf(error: unknown): CellError {
    return runtimeError(error, this.frames);
  }

  /** Ends the running cell's wait with an error (synchronous code is stopped by SIGINT itself). */
  interrupt(): void {
    this.interruption?.(Object.assign(new Error("the cell was interrupted"), { name: "Interrupted" }));
  }

  complete(code: string, cursor: number): { start: number; end: number; candidates: string[] } {
    return this.converter.complete(this.declarations, code, cursor);
  }

  inspect(code: string, cursor: number): ReturnType<Converter["inspect"]> | undefined {
    return this.converter.inspect(this.declarations, code, cursor);
  }

  close(): void {
    this.converter.close();
  }

  /** Executions that do not count (silent ones) reuse the last count: their frames need a name of their own. */
  private uniqueLabel(label: string): string {
    let unique = label;
    for (let n = 2; this.scripts.has(unique); n++)
      unique = label.endsWith("]") ? `${label.slice(0, -1)}.${n}]` : `${label}.${n}`;
    return unique;
  }

  private async interruptible(promise: Promise<unknown>): Promise<void> {
    try {
      await new Promise<void>((resolve, reject) => {
        this.interruption = reject;
        promise.then(() => resolve(), reject);
      });
    } finally {
      this.interruption = undefined;
    }
  }
}

function instrumenter(): typeof import("../instrument") {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require("../instrument") as typeof import("../instrument");
}

/** tslab's table semantics: `Object.defineProperty(exports, …)` (named imports) stores the value, rewritable. */
function cellTable(): Record<string, unknown> {
  const table: Record<string, unknown> = {};
  return new Proxy(table, {
    defineProperty(_target, property, attributes) {
      if (property === "__esModule") return true;
      table[property as string] = attributes.get ? attributes.get() : attributes.value;
      return true;
    },
  });
}

function resolveRelative(reference: ImportReference, rootDir: string): ImportReference {
  if (!reference.specifier.startsWith(".")) return reference;
  return { ...reference, specifier: pathToFileURL(join(rootDir, reference.specifier)).href };
}
