// Lint rules for the whole workspace. Beyond typescript-eslint's recommended set, the import
// restrictions below hold the architecture (ARCHITECTURE.md, "Which way imports point"): workflow/
// is pure and imports no other layer; executors/ see only workflow/; nothing imports the CLI; the
// extension is browser code. Import cycles are refused by dependency-cruiser (.dependency-cruiser.cjs).
import tseslint from "typescript-eslint";

const layer = (patterns, message) => ({
  "no-restricted-imports": ["error", { patterns: patterns.map((group) => ({ group: [group], message })) }],
});

export default tseslint.config(
  {
    ignores: ["**/node_modules/**", "**/dist/**", "coverage/**", "**/*.generated.ts", "kernel/test/fixtures/broken/**"],
  },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-non-null-assertion": "off",
    },
  },
  {
    files: ["kernel/src/workflow/**/*.ts"],
    rules: layer(
      [
        "**/dispatcher/**",
        "**/client/**",
        "**/shared/**",
        "**/config/**",
        "**/executors/**",
        "**/cli/**",
        "**/notebook/**",
        "**/loader/**",
      ],
      "workflow/ is the pure model: it imports no other layer (ARCHITECTURE.md).",
    ),
  },
  {
    files: ["kernel/src/shared/**/*.ts"],
    rules: layer(
      ["**/dispatcher/**", "**/client/**", "**/config/**", "**/executors/**", "**/cli/**", "**/notebook/**"],
      "shared/ is what both processes use: it sees only workflow/ and schema/ (ARCHITECTURE.md).",
    ),
  },
  {
    files: ["kernel/src/client/**/*.ts"],
    rules: layer(
      ["**/dispatcher/**", "**/cli/**", "**/notebook/**"],
      "client/ runs in the user's process: it reaches the dispatcher over HTTP and starts it through the package's dispatcher entry, never by importing it (ARCHITECTURE.md).",
    ),
  },
  {
    files: ["kernel/src/dispatcher/**/*.ts"],
    rules: layer(
      ["**/client/**", "**/cli/**", "**/notebook/**"],
      "The dispatcher is the server: it never imports the client side, and nothing below the CLI and the notebook imports them (ARCHITECTURE.md).",
    ),
  },
  {
    files: ["kernel/src/executors/**/*.ts"],
    rules: layer(
      ["**/dispatcher/**", "**/client/**", "**/cli/**", "**/notebook/**"],
      "Executors see only workflow/ and shared/ (ARCHITECTURE.md).",
    ),
  },
  {
    files: ["kernel/src/instrument/**/*.ts"],
    rules: layer(
      ["**/workflow/**", "**/dispatcher/**", "**/executors/**", "**/cli/**", "**/notebook/**"],
      "instrument/ is a compile-time leaf: it depends only on the parser (ARCHITECTURE.md).",
    ),
  },
  {
    files: ["extension/src/**/*.ts"],
    rules: layer(
      ["**/kernel/**", "valence-workflows", "valence-workflows/**", "node:*"],
      "extension/ is browser code: it imports neither the kernel nor Node's modules; shared shapes come from schema/ (ARCHITECTURE.md).",
    ),
  },
  {
    // Typing fixtures declare values only to check their types.
    files: ["kernel/test/typing/**/*.ts"],
    rules: { "@typescript-eslint/no-unused-vars": "off" },
  },
  {
    files: ["kernel/test/**/*.ts", "scripts/**/*.mjs", "bench/**/*.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
  {
    files: ["kernel/test/**/*.ts"],
    rules: layer(
      ["**/dist/**", "**/src/**"],
      "tests import the modules they test as #src/… (typed against src/, run from dist/; ARCHITECTURE.md, Tests).",
    ),
  },
);
