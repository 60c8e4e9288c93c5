// The import graph's rules beyond ESLint's layering (eslint.config.js): no file may reach itself
// through its imports — type-only imports included, since a type cycle is a knot a reader must
// untie all the same. Run by kernel/test/architecture/import-cycles.test.ts (ARCHITECTURE.md).
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "Imports point one way (ARCHITECTURE.md): move the shared part into a file both import.",
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(^|/)(dist|node_modules|test)/|\\.generated\\.ts$" },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: [".ts", ".mts", ".js", ".mjs", ".json"] },
  },
};
