// A stored dispatch that cannot run safely is failed at start with the reason, never resumed into a
// crash loop (issue 18): one an older dispatcher accepted with a poison graph, and one that was being
// resumed each time the dispatcher died young.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import * as ct from "valence-workflows";
import { Store } from "#src/dispatcher/store/store.js";
import { CrashCounts, CRASH_LIMIT } from "#src/dispatcher/quarantine.js";
import { GraphIndex } from "#src/dispatcher/graph-index.js";
import { newNodeRows } from "#src/dispatcher/new-dispatch.js";
import { temporaryDir } from "../support/dispatcher.ts";
import { callDispatcher, dispatchBody } from "../support/requests.ts";
import { cliMain as cli } from "../support/built.ts";

const add = ct.electron(function add(a: number, b: number) {
  return a + b;
});
const sum = ct.lattice(function sum(x: number) {
  return add(add(x, 1), 2);
});

/** `valence …` in its own process; what it printed. */
async function runCli(args: string[]): Promise<string> {
  const child = spawn(process.execPath, [cli, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, VALENCE_DISPATCHER_URL: "" },
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  await new Promise((resolve) => child.once("exit", resolve));
  return output;
}

/** Stores a dispatch as an older dispatcher would have, unchecked; its id. */
function storeUnchecked(dataDir: string, id: string, graph: unknown): void {
  const store = Store.open(dataDir);
  const body = dispatchBody(sum as never, 1);
  store.transaction((writer) =>
    writer.insertDispatch({
      id,
      latticeName: "sum",
      graph: JSON.stringify(graph),
      lattice: JSON.stringify(body.lattice),
      inputs: Buffer.from(body.inputs, "base64"),
      nodes: nodesOf(graph),
      createdAt: Date.now(),
    }),
  );
  store.close();
}

/** The node rows of a graph that indexes; none for one that does not (an older dispatcher stored them anyway). */
function nodesOf(graph: unknown): ReturnType<typeof newNodeRows> | [] {
  try {
    return newNodeRows(new GraphIndex(graph as ConstructorParameters<typeof GraphIndex>[0]));
  } catch {
    return [];
  }
}

test("a poison dispatch stored by an older dispatcher is failed at start with the reason, not resumed", async () => {
  const dataDir = temporaryDir();
  const poison = dispatchBody(sum as never, 1).graph;
  poison.edges.position[0] = 2147483647;
  storeUnchecked(dataDir, "poison", poison);
  storeUnchecked(dataDir, "not-json", "{");
  const dispatcher = await ct.startDispatcher({ dataDir });
  try {
    assert.deepEqual(dispatcher.resumed, []);
    const status = await callDispatcher(dispatcher, "GET", "/api/v1/status");
    const quarantined = status.body.quarantined as Array<{ id: string; reason: string }>;
    assert.deepEqual(quarantined.map((q) => q.id).sort(), ["not-json", "poison"]);
    const detail = await callDispatcher(dispatcher, "GET", "/api/v1/dispatches/poison");
    const summary = detail.body.dispatch as { status: string; error: { message: string } };
    assert.equal(summary.status, "FAILED");
    assert.match(summary.error.message, /not resumed: .*graph\.edges\.position\[0\] is 2147483647/);
    const shown = await runCli(["status", "--data-dir", dataDir]);
    assert.match(shown, /failed at start instead of resumed:\n {4}(not-json|poison): not resumed: /);
    assert.match(shown, /poison: not resumed: the graph is malformed: graph\.edges\.position\[0\] is 2147483647/);
    // Still serving everyone else.
    const ok = await callDispatcher(dispatcher, "POST", "/api/v1/dispatches", dispatchBody(sum as never, 1));
    assert.equal(ok.status, 201);
  } finally {
    await dispatcher.close();
  }
  // The next start has nothing to resume or fail.
  const again = await ct.startDispatcher({ dataDir, publish: false });
  assert.deepEqual(again.engine.quarantined, []);
  await again.close();
  rmSync(dataDir, { recursive: true, force: true });
});

test(`a dispatch resumed by ${CRASH_LIMIT} starts in a row that each died young is failed at the next`, async () => {
  const dataDir = temporaryDir();
  storeUnchecked(dataDir, "suspect", dispatchBody(sum as never, 1).graph);
  // Each start that resumed it died (kill -9, out of memory) before it had been up a minute.
  for (let i = 0; i < CRASH_LIMIT; i++) new CrashCounts(dataDir).starting(["suspect"]);
  const dispatcher = await ct.startDispatcher({ dataDir, publish: false });
  try {
    assert.deepEqual(dispatcher.resumed, []);
    const detail = await callDispatcher(dispatcher, "GET", "/api/v1/dispatches/suspect");
    const summary = detail.body.dispatch as { status: string; error: { message: string } };
    assert.equal(summary.status, "FAILED");
    assert.match(summary.error.message, new RegExp(`died ${CRASH_LIMIT} times in a row soon after resuming it`));
  } finally {
    await dispatcher.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("a dispatch resumed after fewer young deaths than the limit runs to its end", async () => {
  const dataDir = temporaryDir();
  storeUnchecked(dataDir, "unlucky", dispatchBody(sum as never, 1).graph);
  for (let i = 0; i < CRASH_LIMIT - 1; i++) new CrashCounts(dataDir).starting(["unlucky"]);
  const dispatcher = await ct.startDispatcher({ dataDir, publish: false });
  try {
    assert.deepEqual(dispatcher.resumed, ["unlucky"]);
    await dispatcher.engine.whenFinished("unlucky");
    const detail = await callDispatcher(dispatcher, "GET", "/api/v1/dispatches/unlucky");
    assert.equal((detail.body.dispatch as { status: string }).status, "COMPLETED");
  } finally {
    await dispatcher.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
