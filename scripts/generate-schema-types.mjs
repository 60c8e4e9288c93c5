// Regenerates schema/src/*.generated.ts from schema/*.schema.json, so the JSON Schemas stay the one
// source of truth: the types of every schema, and for the schemas in STANDALONE a check compiled by
// ajv ahead of time (for paths that must not load ajv). `--check` fails instead of writing when a
// generated file is stale (used by tests).
import { createRequire } from "node:module";
import { compile } from "json-schema-to-typescript";
import { readFile, writeFile, readdir } from "node:fs/promises";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const schemaDir = join(dirname(fileURLToPath(import.meta.url)), "..", "schema");
const check = process.argv.includes("--check");
const banner = "/* Generated from the JSON Schema beside it by `npm run schema:generate`. Do not edit. */";
let stale = [];

/** Schema file → the name of its ahead-of-time check (`schema/src/<name>.check.generated.ts`). */
const STANDALONE = { "runtime.schema.json": "isRuntimeFile" };

async function writeGenerated(out, text) {
  const current = await readFile(out, "utf8").catch(() => "");
  if (current === text) return;
  if (check) stale.push(out);
  else await writeFile(out, text);
}

/** ajv's standalone code for `schema`, exported as `name`; it must need nothing of ajv at run time. */
function standaloneCheck(schema, name) {
  const require = createRequire(import.meta.url);
  const { Ajv } = require("ajv");
  const standaloneCode = require("ajv/dist/standalone").default;
  const ajv = new Ajv({ allErrors: true, strict: true, code: { source: true, esm: true } });
  ajv.addSchema(schema);
  const code = standaloneCode(ajv, { [name]: schema.$id });
  if (code.includes("require(")) throw new Error(`${schema.$id}: its check needs ajv's runtime (minLength?)`);
  return `${banner}\n// @ts-nocheck -- ajv's standalone code\n${code.replace(/^"use strict";/, "")}\n`;
}

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
  await writeGenerated(join(schemaDir, "src", file.replace(".schema.json", ".generated.ts")), ts);
  const name = STANDALONE[file];
  if (name) {
    const raw = JSON.parse(await readFile(join(schemaDir, file), "utf8"));
    await writeGenerated(
      join(schemaDir, "src", file.replace(".schema.json", ".check.generated.ts")),
      standaloneCheck(raw, name),
    );
  }
}
if (stale.length) {
  console.error(`stale generated types (run npm run schema:generate): ${stale.join(", ")}`);
  process.exit(1);
}
