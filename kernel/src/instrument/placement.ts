// Where the transform may put its records without changing what the code means: after directives
// and imports, at the top of a hoisting block, and around anonymous functions in a way that keeps
// the name JavaScript would have inferred for them (`const f = () => …` is still named "f").
import type { TSESTree } from "@typescript-eslint/typescript-estree";
import type { ParentedNode } from "./analysis";

/** End of the declaration, including an `export` around it. */
export function outerEnd(node: ParentedNode): number {
  const parent = node.parent;
  return parent && (parent.type === "ExportNamedDeclaration" || parent.type === "ExportDefaultDeclaration")
    ? parent.range[1]
    : node.range[1];
}

/** Where a body's statements start: after its directive prologue (`"use strict"` must stay first). */
export function afterDirectives(body: readonly TSESTree.Node[], start: number): number {
  let position = start;
  for (const statement of body) {
    if (statement.type === "ExpressionStatement" && statement.directive !== undefined) position = statement.range[1];
    else break;
  }
  return position;
}

/** Where a hoisted function's record goes: the top of its block (after directives), or after the imports. */
export function hoistPosition(node: ParentedNode, programStart: number): number {
  let holder = node.parent;
  if (holder && (holder.type === "ExportNamedDeclaration" || holder.type === "ExportDefaultDeclaration"))
    holder = holder.parent;
  if (!holder) return node.range[1];
  if (holder.type === "Program") return programStart;
  if (holder.type === "BlockStatement" || holder.type === "StaticBlock") {
    return afterDirectives(holder.body, holder.range[0] + 1);
  }
  return outerEnd(node); // a `case` clause or a sloppy-mode `if` body: no hoisting across it to rely on
}

/** Where module-level records go: after the directive prologue and the last import declaration. */
export function programStart(program: TSESTree.Program): number {
  let position = afterDirectives(program.body, 0);
  for (const statement of program.body) {
    if (statement.type === "ImportDeclaration") position = Math.max(position, statement.range[1]);
  }
  return position;
}

/**
 * The name JavaScript gives an anonymous function or class from where it stands (ECMAScript's
 * NamedEvaluation), or undefined when it gets none. Wrapping the function in a call would lose it.
 */
export function inferredName(node: ParentedNode & TSESTree.Node): string | undefined {
  if (node.type !== "ArrowFunctionExpression" && node.type !== "FunctionExpression" && node.type !== "ClassExpression")
    return undefined;
  if (node.type !== "ArrowFunctionExpression" && node.id) return undefined;
  const parent = node.parent;
  if (!parent) return undefined;
  switch (parent.type) {
    case "VariableDeclarator":
      return parent.init === node && parent.id.type === "Identifier" ? parent.id.name : undefined;
    case "AssignmentExpression":
      return parent.right === node && parent.left.type === "Identifier" && /^(=|&&=|\|\|=|\?\?=)$/.test(parent.operator)
        ? parent.left.name
        : undefined;
    case "AssignmentPattern":
      return parent.right === node && parent.left.type === "Identifier" ? parent.left.name : undefined;
    case "Property":
    case "PropertyDefinition":
      return parent.value === node && !parent.computed ? keyName(parent.key) : undefined;
    case "ExportDefaultDeclaration":
      return "default";
    default:
      return undefined;
  }
}

function keyName(key: TSESTree.Node): string | undefined {
  if (key.type === "Identifier") return key.name;
  if (key.type === "PrivateIdentifier") return `#${key.name}`;
  if (key.type === "Literal" && (typeof key.value === "string" || typeof key.value === "number"))
    return String(key.value);
  return undefined;
}
