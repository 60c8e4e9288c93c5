// For the serializer's diagnostics: the free identifiers of one function's source text, when that
// function was not instrumented — so the error can name the variable that would not travel.
import type { Scope } from "@typescript-eslint/scope-manager";
import type { TSESTree } from "@typescript-eslint/typescript-estree";
import { parseModule } from "./analysis";

/**
 * Names a function, arrow or class (given as its source text, as `Function.prototype.toString`
 * returns it — method shorthand included) uses from outside itself: unresolved identifiers, minus
 * JavaScript's globals and the host's (`console`, `process`), minus its own name. Type-only
 * references do not count. Source that does not parse gives [].
 */
export function freeVariables(functionSource: string): string[] {
  const scope = rootScope(`(${functionSource}\n);`) ?? rootScope(`({ ${functionSource}\n});`);
  if (!scope) return [];
  const names = new Set<string>();
  for (const reference of scope.through) {
    if (!reference.isValueReference) continue;
    const variable = reference.resolved;
    // Resolved inside the wrapper: the function's own name (a function expression's name scope).
    if (variable && variable.scope.type !== "global") continue;
    const name = reference.identifier.name;
    if (!variable && !(name in globalThis)) names.add(name);
  }
  return [...names];
}

/** The scope of the function the wrapper holds: `(fn)` directly, or `({ method() {} })`'s method. */
function rootScope(wrapped: string): Scope | undefined {
  let parsed;
  try {
    parsed = parseModule(wrapped);
  } catch {
    return undefined;
  }
  const statement = parsed.ast.body[0];
  let root: TSESTree.Node | undefined = statement?.type === "ExpressionStatement" ? statement.expression : undefined;
  if (root?.type === "ObjectExpression") {
    const property = root.properties[0];
    root = property?.type === "Property" ? property.value : undefined;
  }
  return parsed.scopes.find((s) => s.block === root && (s.type === "function" || s.type === "class"));
}
