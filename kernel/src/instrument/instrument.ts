// The transform that lets functions travel by value: each function or class with free variables
// records them through `__valence_capture__`, at the place it is defined. Used by the script loader
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
  type FreeVariables,
  type ParentedNode,
} from "./analysis";
import { pathToFileURL } from "node:url";

export interface InstrumentOptions {
  /** The module's path, to resolve relative import specifiers to absolute file URLs. */
  readonly fileName?: string;
  /** Names defined outside this code that still travel by value (a notebook's earlier cells). */
  readonly externals?: (name: string) => boolean;
}

const CAPTURE = "__valence_capture__";

/** Returns `code` with capture records added; code that does not parse is returned unchanged. */
export function instrument(code: string, options: InstrumentOptions = {}): string {
  let parsed;
  try {
    parsed = parseModule(code);
  } catch {
    return code; // let Node report the syntax error with its own message
  }
  const targets: Array<{ node: ParentedNode & TSESTree.Node; free: FreeVariables; depth: number }> = [];
  for (const scope of parsed.scopes) {
    if ((scope.type !== "function" && scope.type !== "class") || !isFunctionLike(scope.block)) continue;
    const node = scope.block as ParentedNode & TSESTree.Node;
    if (isMethodLike(node)) continue;
    const free = freeVariablesOf(scope, options.externals);
    if (!free.values.length && !Object.keys(free.imports).length) continue;
    let depth = 0;
    for (let s = scope.upper as Scope | null; s; s = s.upper as Scope | null) depth++;
    targets.push({ node, free, depth });
  }
  if (!targets.length) return code;
  // Innermost first: at a shared end position, the inner call must close before the outer one.
  targets.sort((a, b) => b.depth - a.depth);
  const out = new MagicString(code);
  const lastImportEnd = parsed.ast.body
    .filter((s) => s.type === "ImportDeclaration")
    .reduce((end, s) => Math.max(end, s.range[1]), 0);
  for (const { node, free } of targets) {
    const record = `${thunks(free.values)}, ${importsText(free.imports, options.fileName)}`;
    const [start, end] = node.range;
    if ((node.type === "FunctionDeclaration" || node.type === "ClassDeclaration") && node.id) {
      const statement = `;${CAPTURE}(${node.id.name}, ${record});`;
      if (node.type === "ClassDeclaration") out.appendLeft(outerEnd(node), statement);
      else out.appendLeft(hoistPosition(node, lastImportEnd), statement);
    } else if (node.type !== "FunctionDeclaration" && node.type !== "ClassDeclaration") {
      out.prependLeft(start, `${CAPTURE}(`);
      out.appendLeft(end, `, ${record})`);
    }
  }
  return out.toString();
}

function thunks(names: readonly string[]): string {
  return `{ ${names.map((name) => `${name}: () => ${name}`).join(", ")} }`;
}

function importsText(imports: FreeVariables["imports"], fileName: string | undefined): string {
  const resolved = Object.fromEntries(
    Object.entries(imports).map(([name, ref]) => [
      name,
      fileName && /^\.\.?\//.test(ref.specifier)
        ? { ...ref, specifier: new URL(ref.specifier, pathToFileURL(fileName)).href }
        : ref,
    ]),
  );
  return JSON.stringify(resolved);
}

/** End of the declaration, including an `export` around it. */
function outerEnd(node: ParentedNode): number {
  const parent = node.parent;
  return parent && (parent.type === "ExportNamedDeclaration" || parent.type === "ExportDefaultDeclaration")
    ? parent.range[1]
    : node.range[1];
}

/** Where a hoisted function's record goes: the top of its block (after directives), or after the imports. */
function hoistPosition(node: ParentedNode, lastImportEnd: number): number {
  let holder = node.parent;
  if (holder && (holder.type === "ExportNamedDeclaration" || holder.type === "ExportDefaultDeclaration"))
    holder = holder.parent;
  if (!holder) return node.range[1];
  if (holder.type === "Program") return lastImportEnd;
  if (holder.type === "BlockStatement" || holder.type === "StaticBlock") {
    let position = holder.range[0] + 1;
    for (const statement of holder.body) {
      if (statement.type === "ExpressionStatement" && statement.directive !== undefined) position = statement.range[1];
      else break;
    }
    return position;
  }
  return outerEnd(node);
}
