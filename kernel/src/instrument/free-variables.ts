// For the serializer's diagnostics: the free identifiers of one function's source text, when that
// function was not instrumented — so the error can name the variable that would not travel.
import { parseModule } from "./analysis";

export function freeVariables(functionSource: string): string[] {
  let parsed;
  try {
    parsed = parseModule(`(${functionSource}\n);`);
  } catch {
    return [];
  }
  const statement = parsed.ast.body[0];
  const root = statement?.type === "ExpressionStatement" ? statement.expression : undefined;
  const scope = parsed.scopes.find((s) => s.block === root && (s.type === "function" || s.type === "class"));
  if (!scope) return [];
  const names = new Set<string>();
  for (const reference of scope.through) {
    if (!reference.isValueReference) continue;
    if (!reference.resolved || reference.resolved.scope.type !== "global") names.add(reference.identifier.name);
  }
  return [...names];
}
