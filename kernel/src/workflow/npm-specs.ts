// What an entry of `deps: { npm: [...] }` may be: a package spec as `npm install` takes it ("is-number",
// "is-number@7.0.0", "@scope/pkg@^2", "lodash@>=4 <5", "npm:alias@1", a git or tarball URL). Checked at
// the electron's definition and again where the task runs, since each spec becomes one argument of npm.

/** Why `spec` cannot be given to `npm install`, or undefined when it can. */
export function npmSpecProblem(spec: unknown): string | undefined {
  if (typeof spec !== "string") return "expected a string";
  if (spec.trim() === "") return "an npm package spec cannot be empty";
  if (spec !== spec.trim()) return `npm package spec "${spec}" has leading or trailing spaces`;
  // npm would read it as an option (`--registry=…`, `-g`), not a package.
  if (spec.startsWith("-")) return `"${spec}" is not an npm package spec (it starts with "-", like an npm option)`;
  if (/[\u0000-\u001f\u007f]/.test(spec)) return `npm package spec ${JSON.stringify(spec)} contains control characters`;
  return undefined;
}

/** The specs of a dependency set, checked, without duplicates and sorted: the set's identity. */
export function normalizeNpmSpecs(specs: readonly unknown[]): string[] {
  for (const spec of specs) {
    const problem = npmSpecProblem(spec);
    if (problem) throw new TypeError(`deps.npm: ${problem}`);
  }
  return [...new Set(specs as string[])].sort();
}
