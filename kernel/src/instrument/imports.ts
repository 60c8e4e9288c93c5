// A notebook cell's top-level bindings, read from its TypeScript source: the kernel remembers which
// names are imports, so a later cell's function using one sends the import (by specifier) instead
// of its value — and forgets it when a later cell declares the name again.
import { importOf, parseModule, type ImportReference } from "./analysis";

export interface TopLevelBindings {
  /** Local name → what it imports (value imports only; `import type` binds nothing at run time). */
  readonly imports: Map<string, ImportReference>;
  /** Every other name the cell declares at its top level. */
  readonly declared: Set<string>;
}

export function topLevelBindings(source: string): TopLevelBindings {
  const bindings: TopLevelBindings = { imports: new Map(), declared: new Set() };
  let scopes;
  try {
    scopes = parseModule(source).scopes;
  } catch {
    return bindings; // the converter reports the syntax error
  }
  const module = scopes.find((scope) => scope.type === "module");
  for (const variable of module?.variables ?? []) {
    const definition = variable.defs[0];
    if (definition?.type === "ImportBinding") {
      const typeOnly =
        (definition.parent.type === "ImportDeclaration" && definition.parent.importKind === "type") ||
        (definition.node.type === "ImportSpecifier" && definition.node.importKind === "type");
      const imported = typeOnly ? undefined : importOf(definition);
      if (imported) bindings.imports.set(variable.name, imported);
    } else if (variable.isValueVariable) bindings.declared.add(variable.name);
  }
  return bindings;
}
