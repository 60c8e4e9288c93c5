// The transform that lets functions travel by value: each function or class with free variables
// records them through `__valence_capture__`, at the place it is defined; the module's imports are
// recorded too (module-records.ts). Used by the script loader
// on every user module and by the notebook kernel on every cell. Lines are never added, so stack
// traces keep their line numbers.
import MagicString from "magic-string";
import type { TSESTree } from "@typescript-eslint/typescript-estree";
import type { Scope } from "@typescript-eslint/scope-manager";
import {
  freeVariablesOf,
  isFunctionLike,
  isMethodLike,
  parseModule,
  type CellExports,
  type FreeVariables,
  type ParentedNode,
} from "./analysis";
import { hoistPosition, inferredName, outerEnd, programStart } from "./placement";
import { moduleRecords, resolve } from "./module-records";

export interface InstrumentOptions {
  /** The module's path, to resolve relative import specifiers to absolute file URLs. */
  readonly fileName?: string;
  /** A notebook cell: how it refers to earlier cells' declarations, which travel too. */
  readonly cellExports?: CellExports;
}

const CAPTURE = "__valence_capture__";

/** Text added at an offset of the original code (records never hold a newline). */
export type Insert = readonly [at: number, length: number];

/** Returns `code` with capture records added; code that does not parse is returned unchanged. */
export function instrument(code: string, options: InstrumentOptions = {}): string {
  return instrumentWithInserts(code, options).code;
}

/** `instrument`, and where it added text: what maps a position in its output back to `code`. */
export function instrumentWithInserts(
  code: string,
  options: InstrumentOptions = {},
): { code: string; inserts: Insert[] } {
  const inserts: Insert[] = [];
  let parsed;
  try {
    parsed = parseModule(code);
  } catch {
    return { code, inserts }; // let Node report the syntax error with its own message
  }
  const targets: Array<{ node: ParentedNode & TSESTree.Node; free: FreeVariables; depth: number }> = [];
  for (const scope of parsed.scopes) {
    if ((scope.type !== "function" && scope.type !== "class") || !isFunctionLike(scope.block)) continue;
    const node = scope.block as ParentedNode & TSESTree.Node;
    if (isMethodLike(node)) continue;
    const free = freeVariablesOf(scope, options.cellExports);
    if (!free.values.length && !Object.keys(free.imports).length) continue;
    let depth = 0;
    for (let s = scope.upper as Scope | null; s; s = s.upper as Scope | null) depth++;
    targets.push({ node, free, depth });
  }
  const moduleStart = programStart(parsed.ast);
  const records = moduleRecords(code, parsed.ast, moduleStart, options.fileName);
  if (!targets.length && !records.length) return { code, inserts };
  // Innermost first: at a shared end position, the inner call must close before the outer one.
  targets.sort((a, b) => b.depth - a.depth);
  const magic = new MagicString(code);
  const out = {
    appendLeft(at: number, text: string): void {
      magic.appendLeft(at, text);
      inserts.push([at, text.length]);
    },
    prependLeft(at: number, text: string): void {
      magic.prependLeft(at, text);
      inserts.push([at, text.length]);
    },
  };
  // `import(…)` wrappers first: at a shared end position they close inside any function around them.
  for (const edit of records) {
    if (edit.side === "prepend") out.prependLeft(edit.at, edit.text);
    else out.appendLeft(edit.at, edit.text);
  }
  for (const { node, free } of targets) {
    const record = `${thunks(free.values)}, ${importsText(free.imports, options.fileName)}`;
    const [start, end] = node.range;
    if (node.type === "FunctionDeclaration" || node.type === "ClassDeclaration") {
      const name = node.id?.name ?? nameDefaultExport(out, code, node);
      if (!name) continue;
      const statement = `;${CAPTURE}(${name}, ${record});${node.id ? "" : restoreDefaultName(node)}`;
      if (node.type === "ClassDeclaration") out.appendLeft(outerEnd(node), statement);
      else out.appendLeft(hoistPosition(node, moduleStart), statement);
    } else {
      // `{ "f": expr }["f"]` keeps the name `const f = () => …` would give, with no run-time patching.
      const inferred = inferredName(node);
      const key = inferred === undefined ? "" : JSON.stringify(inferred);
      out.prependLeft(start, inferred === undefined ? `${CAPTURE}(` : `${CAPTURE}({ ${key}: `);
      out.appendLeft(end, `${inferred === undefined ? "" : ` }[${key}]`}, ${record})`);
    }
  }
  return { code: magic.toString(), inserts: inserts.sort((a, b) => a[0] - b[0]) };
}

function thunks(names: readonly string[]): string {
  // A cell's `exports.name` is a member, not an identifier: quote it as a key.
  return `{ ${names.map((name) => `${name.includes(".") ? JSON.stringify(name) : name}: () => ${name}`).join(", ")} }`;
}

function importsText(imports: FreeVariables["imports"], fileName: string | undefined): string {
  const resolved = Object.fromEntries(
    Object.entries(imports).map(([name, ref]) => [name, { ...ref, specifier: resolve(ref.specifier, fileName) }]),
  );
  return JSON.stringify(resolved);
}

const DEFAULT_NAME = "__valence_default__";

/** `export default function () {}` has no name to record it by: give it one (its `.name` is restored). */
function nameDefaultExport(
  out: { appendLeft(at: number, text: string): void },
  code: string,
  node: TSESTree.FunctionDeclaration | TSESTree.ClassDeclaration,
): string | undefined {
  const keyword = /^(async\s+)?function(\s*\*)?|^class\b/.exec(code.slice(node.range[0], node.range[1]));
  if (!keyword) return undefined;
  out.appendLeft(node.range[0] + keyword[0].length, ` ${DEFAULT_NAME}`);
  return DEFAULT_NAME;
}

function restoreDefaultName(node: TSESTree.FunctionDeclaration | TSESTree.ClassDeclaration): string {
  const ownName =
    node.type === "ClassDeclaration" &&
    node.body.body.some(
      (member) =>
        "static" in member &&
        member.static &&
        "key" in member &&
        member.key.type === "Identifier" &&
        member.key.name === "name",
    );
  return ownName ? "" : `Object.defineProperty(${DEFAULT_NAME}, "name", { value: "default" });`;
}
