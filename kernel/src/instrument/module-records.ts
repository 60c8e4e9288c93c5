// Records of what a module imports, so a module held in a variable can travel by specifier
// (`const libs = [ns]`, `const ct = await import("valence-workflows")`): JavaScript cannot tell which module a
// namespace object belongs to, so the transform says it where the import is written. Static imports
// are recorded as thunks after the last import (one in a cycle may not be ready yet); a literal
// `import("…")` records the namespace it resolves to. See workflow/serialize/modules.ts.
import type { TSESTree } from "@typescript-eslint/typescript-estree";
import { pathToFileURL } from "node:url";
import type { ImportReference } from "./analysis";

export interface RecordEdit {
  readonly at: number;
  readonly text: string;
  /** prependLeft (opening text) or appendLeft (closing text). */
  readonly side: "prepend" | "append";
}

const RECORD_IMPORTS = "__valence_module__";
const RECORD_IMPORT = "__valence_import__";

/** Edits recording the module's static imports (at `after`) and wrapping its literal `import()` calls. */
export function moduleRecords(
  code: string,
  program: TSESTree.Program,
  after: number,
  fileName: string | undefined,
): RecordEdit[] {
  const edits: RecordEdit[] = [];
  const bindings: Array<[string, ImportReference]> = [];
  for (const statement of program.body) {
    if (statement.type !== "ImportDeclaration" || statement.importKind === "type") continue;
    const specifier = resolve(String(statement.source.value), fileName);
    for (const node of statement.specifiers) {
      if (node.type === "ImportSpecifier" && node.importKind === "type") continue;
      const exported =
        node.type === "ImportNamespaceSpecifier"
          ? "*"
          : node.type === "ImportDefaultSpecifier"
            ? "default"
            : node.imported.type === "Identifier"
              ? node.imported.name
              : String(node.imported.value);
      bindings.push([node.local.name, { specifier, export: exported }]);
    }
  }
  if (bindings.length) {
    const thunks = bindings.map(([name]) => `${name}: () => ${name}`).join(", ");
    const references = JSON.stringify(Object.fromEntries(bindings));
    edits.push({ at: after, text: `;${RECORD_IMPORTS}({ ${thunks} }, ${references});`, side: "append" });
  }
  for (const node of /\bimport\s*\(/.test(code) ? importCalls(program) : []) {
    const source = node.source;
    if (source.type !== "Literal" || typeof source.value !== "string") continue;
    const reference = JSON.stringify({ specifier: resolve(source.value, fileName), export: "*" });
    edits.push({ at: node.range[0], text: `${RECORD_IMPORT}(`, side: "prepend" });
    edits.push({ at: node.range[1], text: `, ${reference})`, side: "append" });
  }
  return edits;
}

/** A relative specifier as an absolute file URL, so it means the same module wherever it is loaded. */
export function resolve(specifier: string, fileName: string | undefined): string {
  return fileName && /^\.\.?\//.test(specifier) ? new URL(specifier, pathToFileURL(fileName)).href : specifier;
}

/** Every `import(…)` expression, found by a walk of the tree (parents set, so skipped as keys). */
function importCalls(program: TSESTree.Program): TSESTree.ImportExpression[] {
  const found: TSESTree.ImportExpression[] = [];
  const stack: unknown[] = [program];
  while (stack.length) {
    const node = stack.pop() as Record<string, unknown>;
    if (node.type === "ImportExpression") found.push(node as unknown as TSESTree.ImportExpression);
    for (const key in node) {
      if (key === "parent" || key === "range") continue;
      const value = node[key];
      if (Array.isArray(value)) {
        for (const child of value) if (isNode(child)) stack.push(child);
      } else if (isNode(value)) stack.push(value);
    }
  }
  return found;
}

function isNode(value: unknown): boolean {
  return value !== null && typeof value === "object" && typeof (value as { type?: unknown }).type === "string";
}
