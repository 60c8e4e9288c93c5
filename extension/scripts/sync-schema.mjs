// Copies what the extension shares with the repository into the package, where the builder reaches
// it: the DAG and protocol contracts from schema/ (generated types, the JSON Schema whose enums the renderer
// checks, the display rules the kernel's drawing shares) into src/schema/, and the CSS from style/ into style/. Copies are build artefacts
// (gitignored); run before tsc.
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const extension = join(dirname(fileURLToPath(import.meta.url)), "..");
const schema = join(extension, "..", "schema");
const target = join(extension, "src", "schema");
const FILES = [
  ["src/dag.generated.ts", "dag.generated.ts"],
  ["src/protocol.generated.ts", "protocol.generated.ts"],
  ["dag.schema.json", "dag.schema.json"],
  ["src/display.ts", "display.ts"],
];

const styleSource = join(extension, "..", "style");
const styleTarget = join(extension, "style");

function copyIfChanged(source, copy) {
  if (!existsSync(copy) || !readFileSync(copy).equals(readFileSync(source))) copyFileSync(source, copy);
}

export function syncSchema() {
  mkdirSync(target, { recursive: true });
  for (const [from, to] of FILES) copyIfChanged(join(schema, from), join(target, to));
  mkdirSync(styleTarget, { recursive: true });
  for (const name of readdirSync(styleSource).filter((file) => /\.(css|js)$/.test(file)))
    copyIfChanged(join(styleSource, name), join(styleTarget, name));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) syncSchema();
