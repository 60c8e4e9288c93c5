// A function's source text as an expression that evaluates back to the function: declarations,
// expressions, arrows and classes already are; method shorthand (`run() {}`) gets a `function`
// keyword; native and bound functions have no source and cannot travel.

export type SourceProblem = "native" | "accessor" | "unknown";

export function functionSource(fn: (...args: never[]) => unknown): { source: string } | { problem: SourceProblem } {
  const text = Function.prototype.toString.call(fn);
  if (/\{\s*\[native code\]\s*\}$/.test(text)) return { problem: "native" };
  if (/^(async\s+)?function\b/.test(text) || /^class\b/.test(text)) return { source: text };
  if (/^(async\s*)?\(/.test(text) || /^(async\s+)?[A-Za-z_$][\w$]*\s*=>/.test(text)) return { source: text };
  if (/^(get|set)\s+[\w$[]/.test(text)) return { problem: "accessor" };
  const method = /^(async\s+)?(\*\s*)?([A-Za-z_$][\w$]*|\[[^\]]*\]|"[^"]*"|'[^']*')\s*\(/.exec(text);
  if (method) {
    const [, isAsync = "", star = ""] = method;
    const rest = text.slice(isAsync.length + star.length).trimStart();
    // A computed or quoted method name is not a valid function name: drop it.
    const named = /^[A-Za-z_$]/.test(rest) ? rest : rest.slice(rest.indexOf("("));
    return { source: `${isAsync}function${star ? "*" : ""} ${named}` };
  }
  return { problem: "unknown" };
}
