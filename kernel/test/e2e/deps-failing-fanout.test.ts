// What a user saw with an electron whose deps.npm cannot install, called several times at once on
// the local executor: the first call failed with npm's error, the others with "internal: the worker
// has no electron spec …" (the worker let go of the spec when the install failed, and tasks already
// sent to it came without one). Every call now fails with npm's error, each attempt.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import * as ct from "valence-workflows";
import { temporaryDir, useDispatcher } from "../support/dispatcher.ts";

// Before the dispatcher starts: its worker threads take a copy of the environment.
process.env.VALENCE_CACHE_DIR = temporaryDir("valence-cache-");
process.env.npm_config_offline = "true";
useDispatcher();

test("calls of an electron whose deps.npm cannot install all fail with npm's error, every attempt", async () => {
  const missing = `file:${join(temporaryDir(), "no-such-package")}`;
  const needsMissing = ct.electron(
    function needsMissing(i: number) {
      return i;
    },
    { deps: { npm: [missing] }, retries: 1 },
  );
  const quick = ct.electron(function quick(i: number) {
    return i + 1;
  });
  const wf = ct.lattice(function fanOutOfFailingInstalls(n: number) {
    return Array.from({ length: n }, (_, i) => [quick(i), needsMissing(i)]);
  });
  const result = await ct.dispatchSync(wf)(6);
  assert.equal(result.status, "FAILED", String(result));
  const failed = result.nodes.filter((n) => n.status === "FAILED");
  assert.ok(failed.length >= 1);
  for (const node of failed) {
    assert.equal(node.error?.name, "NpmInstallError", `node ${node.id}: ${node.error?.message}`);
    assert.equal(node.attempts, 2, `node ${node.id}: both attempts ran npm`);
  }
});
