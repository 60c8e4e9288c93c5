// Imports point one way (ARCHITECTURE.md): no file of the kernel or the extension reaches itself
// through its imports, type-only imports included (.dependency-cruiser.cjs holds the rule).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const cruiser = fileURLToPath(
  new URL("../../../node_modules/dependency-cruiser/bin/dependency-cruise.mjs", import.meta.url),
);

test("no import cycle in kernel/src or extension/src, type-only imports included", () => {
  const run = spawnSync(
    process.execPath,
    [cruiser, "--config", ".dependency-cruiser.cjs", "--output-type", "err", "kernel/src", "extension/src"],
    { cwd: root, encoding: "utf8" },
  );
  assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
  assert.match(run.stdout, /no dependency violations found \(\d{3,} modules/);
});
