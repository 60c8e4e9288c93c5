// Scope analysis shared by the transform and the serializer's diagnostics: parse JavaScript (or
// TypeScript) and find, for a function or class, the variables it uses from outside itself.
import { parse, type TSESTree } from "@typescript-eslint/typescript-estree";
import { analyze, type Scope } from "@typescript-eslint/scope-manager";

export type FunctionLike =
  | TSESTree.FunctionDeclaration
  | TSESTree.FunctionExpression
  | TSESTree.ArrowFunctionExpression
  | TSESTree.ClassDeclaration
  | TSESTree.ClassExpression;

export interface ImportReference {
  readonly specifier: string;
  readonly export: string;
}

export interface FreeVariables {
  /** Variables whose values travel (functions, electrons, data). */
  readonly values: string[];
  /** Variables bound by imports: they travel by specifier. */
  readonly imports: Record<string, ImportReference>;
}

export type ParentedNode = TSESTree.Node & { parent?: ParentedNode };

export function parseModule(code: string): { ast: TSESTree.Program; scopes: Scope[] } {
  const ast = parse(code, { range: true, jsx: false, comment: false, loc: false });
  setParents(ast);
  // No lib globals: declaring them costs more than the rest of the analysis, and a global is then
  // simply unresolved — which also lets a notebook cell's own `Map` (see `externals`) be captured.
  const manager = analyze(ast, { sourceType: "module", lib: [] });
  return { ast, scopes: manager.scopes };
}

function setParents(root: TSESTree.Node): void {
  const stack: ParentedNode[] = [root];
  for (let node = stack.pop(); node; node = stack.pop()) {
    const fields = node as unknown as Record<string, unknown>;
    for (const key in fields) {
      if (key === "parent" || key === "range") continue;
      const value = fields[key];
      if (value === null || typeof value !== "object") continue;
      if (Array.isArray(value)) {
        for (const child of value as unknown[]) adopt(child, node, stack);
      } else adopt(value, node, stack);
    }
  }
}

function adopt(child: unknown, parent: ParentedNode, stack: ParentedNode[]): void {
  if (child !== null && typeof child === "object" && typeof (child as TSESTree.Node).type === "string") {
    (child as ParentedNode).parent = parent;
    stack.push(child as ParentedNode);
  }
}

export function isFunctionLike(node: TSESTree.Node): node is FunctionLike {
  return (
    node.type === "FunctionDeclaration" ||
    node.type === "FunctionExpression" ||
    node.type === "ArrowFunctionExpression" ||
    node.type === "ClassDeclaration" ||
    node.type === "ClassExpression"
  );
}

/** Methods, getters and setters travel with their object or class, never alone. */
export function isMethodLike(node: ParentedNode): boolean {
  const parent = node.parent;
  if (!parent) return false;
  if (parent.type === "MethodDefinition" || parent.type === "TSAbstractMethodDefinition") return true;
  return parent.type === "Property" && (parent.method || parent.kind !== "init");
}

/**
 * How a notebook cell compiled by tslab refers to earlier cells: `exports.name`, where `exports` is the
 * table of every cell's declarations. Such a member travels as the variable "exports.name".
 */
export interface CellExports {
  /** The table's identifier in the compiled cell ("exports"). */
  readonly object: string;
  /** Earlier cells' names that are bound by imports: they travel by specifier, not by value. */
  readonly imports: (name: string) => ImportReference | undefined;
}

export function freeVariablesOf(scope: Scope, cellExports?: CellExports): FreeVariables {
  const values = new Set<string>();
  const imports: Record<string, ImportReference> = {};
  for (const reference of scope.through) {
    if (!reference.isValueReference) continue;
    const name = reference.identifier.name;
    const variable = reference.resolved;
    if (!variable) {
      const member = cellExports?.object === name ? exportsMember(reference.identifier as ParentedNode) : undefined;
      if (member === undefined) continue;
      const key = `${name}.${member}`;
      const imported = cellExports!.imports(member);
      if (imported) imports[key] = imported;
      else values.add(key);
      continue;
    }
    if (variable.scope.type === "global") continue;
    // A named function or class expression referring to itself.
    if (variable.scope.block === scope.block) continue;
    const imported = importOf(variable.defs[0]);
    if (imported) imports[name] = imported;
    else values.add(name);
  }
  return { values: [...values], imports };
}

/** `exports.name` (not computed): the member's name. */
function exportsMember(identifier: ParentedNode): string | undefined {
  const parent = identifier.parent;
  if (parent?.type !== "MemberExpression" || parent.object !== identifier || parent.computed) return undefined;
  return parent.property.type === "Identifier" ? parent.property.name : undefined;
}

/** `require(s)`, or TypeScript's interop helpers around it: `__importStar(require(s))`, `__importDefault(…)`. */
function requireOf(init: TSESTree.Expression | null): ImportReference | undefined {
  if (init?.type !== "CallExpression" || init.callee.type !== "Identifier" || init.arguments.length !== 1)
    return undefined;
  const argument = init.arguments[0]!;
  if (init.callee.name === "require")
    return argument.type === "Literal" && typeof argument.value === "string"
      ? { specifier: argument.value, export: "=" }
      : undefined;
  const interop = { __importStar: "=*", __importDefault: "=default" }[init.callee.name];
  const inner = argument.type === "CallExpression" ? requireOf(argument) : undefined;
  return interop && inner?.export === "=" ? { specifier: inner.specifier, export: interop } : undefined;
}

export function importOf(
  definition: Scope["variables"][number]["defs"][number] | undefined,
): ImportReference | undefined {
  if (!definition) return undefined;
  if (definition.type === "ImportBinding") {
    const node = definition.node;
    if (node.type === "TSImportEqualsDeclaration") {
      const ref = node.moduleReference;
      return ref.type === "TSExternalModuleReference" ? { specifier: ref.expression.value, export: "=" } : undefined;
    }
    const declaration = definition.parent;
    if (declaration.type !== "ImportDeclaration") return undefined;
    const specifier = String(declaration.source.value);
    if (node.type === "ImportDefaultSpecifier") return { specifier, export: "default" };
    if (node.type === "ImportNamespaceSpecifier") return { specifier, export: "*" };
    const imported = node.imported;
    return { specifier, export: imported.type === "Identifier" ? imported.name : String(imported.value) };
  }
  if (definition.type === "Variable" && definition.node.id.type === "Identifier")
    return requireOf(definition.node.init);
  return undefined;
}
