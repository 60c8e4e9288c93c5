// Running cells: tslab's compiler turns a cell into JavaScript (type-checked against the declarations
// of earlier cells); Valence instruments it so its functions can travel by value, then runs it in the
// kernel's own context. Every top-level name lands in one table (`exports`), which later cells read.
import { runInThisContext } from "node:vm";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Converter, Diagnostic } from "tslab/dist/converter";
import type { ImportReference } from "../instrument";
import { installCaptureGlobal } from "../workflow/serialize/capture";
import { CellModules } from "./cell-require";
import { exposeTypesTo } from "./valence-module";

export interface CellError {
  readonly ename: string;
  readonly evalue: string;
  readonly traceback: string[];
}

export type CellOutcome =
  | { readonly status: "ok"; readonly value?: { readonly current: unknown } }
  | { readonly status: "error"; readonly error: CellError };

const TABLE = "__valence_cells__";

export class CellRunner {
  private readonly converter: Converter;
  private readonly modules: CellModules;
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
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { createConverter } = require("tslab/dist/converter") as typeof import("tslab/dist/converter");
    this.converter = createConverter({ isJS: false, isBrowser: false });
    this.modules = new CellModules(rootDir);
    this.locals = cellTable();
    (globalThis as Record<string, unknown>)[TABLE] = { exports: this.locals, require: this.modules.requireFrom() };
  }

  get typescriptVersion(): string {
    return this.ts.version;
  }

  /** Runs one cell; `label` names it in stack traces ("cell [3]"). */
  async run(code: string, label = "cell"): Promise<CellOutcome> {
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
    const body = /=>|\bfunction\b|\bclass\b/.test(converted.output)
      ? instrumenter().instrument(converted.output, {
          fileName: join(this.rootDir, "cell.ts"),
          cellExports: { object: "exports", imports: (name) => this.imports.get(name) },
        })
      : converted.output;
    // Always async: tslab misses some top-level awaits (`(await import("x")).y`); synchronous code
    // still runs within runInThisContext, where SIGINT can stop it.
    const wrapped = `(async function (exports, require) { ${body}\n})(${TABLE}.exports, ${TABLE}.require)`;
    try {
      const completion = runInThisContext(wrapped, { filename: label, breakOnSigint: true }) as Promise<unknown>;
      await this.interruptible(completion);
    } catch (error) {
      return { status: "error", error: runtimeError(error) };
    }
    this.declarations = converted.declOutput ?? "";
    const last = converted.lastExpressionVar;
    if (!last || !(last in this.locals)) return { status: "ok" };
    const current = this.locals[last];
    delete this.locals[last];
    return current === undefined ? { status: "ok" } : { status: "ok", value: { current } };
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

function compileError(diagnostics: readonly Diagnostic[]): CellError {
  const lines = diagnostics.map((d) => {
    const where = `${d.fileName ? `${d.fileName} ` : ""}line ${d.start.line + 1}, column ${d.start.character + 1}`;
    return `${where}: ${d.messageText}`;
  });
  return { ename: "TypeScript", evalue: lines[0] ?? "the cell does not compile", traceback: lines };
}

/** The error as a notebook shows it: name, message, and only the user's frames of its stack. */
export function runtimeError(error: unknown): CellError {
  if (!(error instanceof Error)) {
    const text = String(error);
    return { ename: "Error", evalue: `uncaught value: ${text}`, traceback: [`Uncaught ${text}`] };
  }
  const frames = (error.stack ?? "")
    .split("\n")
    .filter((line) => /^\s+at /.test(line))
    .filter((line) => !/node:internal|node:vm|\/tslab\/|kernel\/dist\/notebook\//.test(line));
  // Line numbers of a compiled cell do not match its source (the compiler adds and moves lines):
  // name the cell, not a misleading line.
  for (let i = 0; i < frames.length; i++) frames[i] = frames[i]!.replace(/(cell(?: \[\d+\])?):\d+:\d+/, "$1");
  const head = `${error.name}: ${error.message}`;
  const cause = error.cause instanceof Error ? [`caused by: ${error.cause.stack ?? error.cause.message}`] : [];
  return { ename: error.name, evalue: error.message, traceback: [head, ...frames, ...cause] };
}
