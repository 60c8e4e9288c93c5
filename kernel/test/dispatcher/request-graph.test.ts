// A big dispatch's graph is stored inside its request as it arrived (not serialized again), and its
// nodes as one list (rows come as nodes change): such a dispatch still draws, and resumes after a
// stop without rerunning its completed nodes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import * as ct from "valence-workflows";
import { call } from "#src/client/connection.js";
import { forgetDispatcher, pointClientAt, temporaryDir } from "../support/dispatcher.ts";

// A task waits while its `hold` file exists: the last one holds the dispatch open until the stop.
const step = ct.electron(async function step(log: string, i: number, hold: string) {
  appendFileSync(log, `${i}\n`);
  while (existsSync(hold)) await new Promise((resolve) => setTimeout(resolve, 20));
  return i * 2;
});
const fan = ct.lattice(
  function fan(log: string, hold: string, n: number) {
    const xs = [];
    for (let i = 0; i < n; i++) xs.push(step(log, i, i === n - 1 ? hold : `${hold}-never`));
    return xs;
  },
  { name: "fan" },
);

test("a big dispatch stored as its request draws, and resumes after a stop without rerunning completed nodes", async () => {
  const dataDir = temporaryDir();
  const log = join(dataDir, "runs.log");
  const hold = join(dataDir, "hold");
  writeFileSync(hold, "");
  const n = 300;
  let dispatcher = await ct.startDispatcher({ dataDir, publish: false });
  try {
    pointClientAt(dispatcher);
    const id = `${await ct.dispatch(fan)(log, hold, n)}`;
    // Everything but the last (slow) task completes; then the dispatcher stops mid-run.
    for (let i = 0; i < 200; i++) {
      const done = (await ct.getResult(id)).nodes.filter((s) => s.status === "COMPLETED" && s.attempts === 1);
      if (done.length >= n - 1) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const graph = await call<{ nodes: unknown[] }>("GET", `/api/v1/dispatches/${id}/graph`);
    assert.ok(graph.nodes.length > n);
    await dispatcher.close();

    const db = new Database(join(dataDir, "valence.db"), { readonly: true });
    const spec = db.prepare("SELECT graph_in_request, nodes IS NOT NULL AS listed FROM dispatch_specs WHERE id = ?");
    assert.deepEqual({ ...(spec.get(id) as object) }, { graph_in_request: 1, listed: 1 });
    db.close();

    rmSync(hold);
    dispatcher = await ct.startDispatcher({ dataDir, publish: false });
    pointClientAt(dispatcher);
    const result = await ct.getResult<number[]>(id, { wait: true, timeoutMs: 30_000 });
    assert.equal(result.status, "COMPLETED");
    assert.deepEqual(
      result.result,
      Array.from({ length: n }, (_, i) => i * 2),
    );
    const runs = readFileSync(log, "utf8").trim().split("\n");
    assert.deepEqual(runs.sort(), [...Array.from({ length: n }, (_, i) => String(i)), String(n - 1)].sort());
    const drawn = await call<{ nodes: unknown[] }>("GET", `/api/v1/dispatches/${id}/graph`);
    assert.equal(drawn.nodes.length, graph.nodes.length);
  } finally {
    await dispatcher.close();
    forgetDispatcher();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
