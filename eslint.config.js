// Lint rules for the whole workspace. Beyond typescript-eslint's recommended set, the import
// restrictions below hold the architecture: workflow/ is pure and imports no other
// layer; executors/ see only workflow/; nothing imports the CLI.
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
      ["**/dispatcher/**", "**/executors/**", "**/cli/**", "**/notebook/**", "**/loader/**"],
      "workflow/ is the pure model: it imports no other layer.",
    ),
  },
  {
    files: ["kernel/src/dispatcher/**/*.ts"],
    rules: layer(["**/cli/**", "**/notebook/**"], "Only the CLI and the notebook sit on top; nothing imports them."),
  },
  {
    files: ["kernel/src/executors/**/*.ts"],
    rules: layer(["**/dispatcher/**", "**/cli/**", "**/notebook/**"], "Executors see only workflow/."),
  },
  {
    files: ["kernel/src/instrument/**/*.ts"],
    rules: layer(
      ["**/workflow/**", "**/dispatcher/**", "**/executors/**", "**/cli/**", "**/notebook/**"],
      "instrument/ is a compile-time leaf: it depends only on the parser.",
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
);
