// The JSON Schemas in schema/ are the one source of each contract: the TypeScript types generated
// from them (schema/src/*.generated.ts) must match what `npm run schema:generate` makes of them now.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../..", import.meta.url));

test("the generated schema types are those the JSON Schemas give (npm run schema:generate leaves them as they are)", () => {
  const run = spawnSync(process.execPath, ["scripts/generate-schema-types.mjs", "--check"], {
    cwd: root,
    encoding: "utf8",
  });
  assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
});
