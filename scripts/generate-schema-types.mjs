// Regenerates schema/src/*.generated.ts from schema/*.schema.json, so the JSON Schemas stay the one
// source of truth. `--check` fails instead of writing when a generated file is stale (used by tests).
import { compile } from "json-schema-to-typescript";
import { readFile, writeFile, readdir } from "node:fs/promises";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const schemaDir = join(dirname(fileURLToPath(import.meta.url)), "..", "schema");
const check = process.argv.includes("--check");
const banner = "/* Generated from the JSON Schema beside it by `npm run schema:generate`. Do not edit. */";
let stale = [];

/**
 * A property that points at a definition of a plain value (`"maxWorkers": { "$ref": … }`) gets the
 * definition itself, so the generated property carries its description (a user's editor shows it)
 * instead of naming a type alias; definitions of objects stay shared types.
 */
function withPropertyDocs(schema) {
  const definitions = schema.definitions ?? {};
  const visit = (node) => {
    if (Array.isArray(node)) return node.map(visit);
    if (!node || typeof node !== "object") return node;
    const out = {};
    for (const [key, value] of Object.entries(node)) {
      if (key !== "properties") {
        out[key] = visit(value);
        continue;
      }
      out.properties = {};
      for (const [name, property] of Object.entries(value)) {
        const ref = /^#\/definitions\/(.+)$/.exec(property.$ref ?? "")?.[1];
        const target = ref === undefined ? undefined : definitions[ref];
        const own = Object.keys(property).filter((key) => key !== "$ref" && key !== "description");
        const plain = target && target.type !== "object" && !target.title && own.length === 0;
        // The property's own description, if it has one, over the definition's.
        const { $ref: _ref, ...rest } = property;
        out.properties[name] = visit(plain ? { ...target, ...rest } : property);
      }
    }
    return out;
  };
  const out = visit(schema);
  // A definition no one points at any more (every use was a property, now inlined) is not emitted.
  const text = JSON.stringify(out);
  for (const name of Object.keys(out.definitions ?? {})) {
    if (!out.definitions[name].title && !text.includes(`"#/definitions/${name}"`)) delete out.definitions[name];
  }
  return out;
}
for (const file of (await readdir(schemaDir)).filter((f) => f.endsWith(".schema.json"))) {
  const schema = withPropertyDocs(JSON.parse(await readFile(join(schemaDir, file), "utf8")));
  const ts = await compile(schema, schema.title, {
    bannerComment: banner,
    cwd: schemaDir,
    additionalProperties: false,
    // Every titled definition becomes a type, also one only code uses (BullMQExecutorConfig).
    unreachableDefinitions: true,
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
