// Regenerates schema/src/*.generated.ts from schema/*.schema.json, so the JSON Schemas stay the one
// source of truth. `--check` fails instead of writing when a generated file is stale (used by tests).
import { compileFromFile } from "json-schema-to-typescript";
import { readFile, writeFile, readdir } from "node:fs/promises";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const schemaDir = join(dirname(fileURLToPath(import.meta.url)), "..", "schema");
const check = process.argv.includes("--check");
const banner = "/* Generated from the JSON Schema beside it by `npm run schema:generate`. Do not edit. */";
let stale = [];
for (const file of (await readdir(schemaDir)).filter((f) => f.endsWith(".schema.json"))) {
  const ts = await compileFromFile(join(schemaDir, file), {
    bannerComment: banner,
    cwd: schemaDir,
    additionalProperties: false,
    style: { printWidth: 110 },
  });
  const out = join(schemaDir, "src", file.replace(".schema.json", ".generated.ts"));
  const current = await readFile(out, "utf8").catch(() => "");
  if (current === ts) continue;
  if (check) stale.push(out);
  else await writeFile(out, ts);
}
if (stale.length) {
  console.error(`stale generated types (run npm run schema:generate): ${stale.join(", ")}`);
  process.exit(1);
}
