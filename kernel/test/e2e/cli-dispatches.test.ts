// `valence list | show | logs | cancel | delete | purge | triggers` run as a user runs them (the built CLI, its own process)
// against a real dispatcher holding real dispatches: what they print, their filters, --json, and
// their errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as ct from "valence-workflows";
import { useDispatcher } from "../support/dispatcher.ts";
import { callDispatcher } from "../support/requests.ts";
import { cliMain } from "../support/built.ts";

const dispatcher = useDispatcher();

interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The CLI pointed at the test's dispatcher (VALENCE_DISPATCHER_URL / _TOKEN, set by useDispatcher). */
function valence(...args: string[]): Promise<Ran> {
  return new Promise((resolve) =>
    execFile(process.execPath, [cliMain, ...args], { timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

const greet = ct.electron(function greet(name: string) {
  console.log(`hello ${name}`);
  console.error(`warned ${name}`);
  return name.length;
});
const fail = ct.electron(function fail(n: number): number {
  throw new RangeError(`no good: ${n}`);
});
const nap = ct.electron(async function nap(ms: number) {
  console.log("nap starts");
  await new Promise((r) => setTimeout(r, ms));
  console.log("nap ends");
  return ms;
});
const greeting = ct.lattice(function greeting(name: string) {
  const a = greet(name);
  const b = greet("again");
  ct.wait(b, [a]);
  return [a, b];
});
const failing = ct.lattice(function failing(n: number) {
  return fail(n);
});
const napping = ct.lattice(function napping(ms: number) {
  return nap(ms);
});

test("valence list shows dispatches newest first, filtered by status and lattice name, as a table or JSON", async () => {
  const good = await ct.dispatchSync(greeting)("ada");
  const bad = await ct.dispatchSync(failing)(3);
  assert.equal(good.status, "COMPLETED");
  assert.equal(bad.status, "FAILED");

  const table = await valence("list");
  assert.equal(table.code, 0, table.stderr);
  const lines = table.stdout.trim().split("\n");
  assert.match(lines[0]!, /^ID\s+LATTICE\s+STATUS\s+CREATED\s+TOOK/);
  assert.ok(
    lines.findIndex((l) => l.startsWith(bad.dispatchId)) < lines.findIndex((l) => l.startsWith(good.dispatchId)),
  );
  assert.match(table.stdout, new RegExp(`${bad.dispatchId}\\s+failing\\s+FAILED\\s`));
  assert.doesNotMatch(table.stdout, /\u001b\[/, "no colour codes when stdout is not a terminal");

  const failed = JSON.parse((await valence("list", "--status", "failed", "--json")).stdout) as ct.DispatchSummary[];
  assert.ok(failed.length >= 1 && failed.every((d) => d.status === "FAILED"));
  assert.ok(failed.some((d) => d.id === bad.dispatchId));
  const named = JSON.parse((await valence("list", "--name", "greeting", "--json")).stdout) as ct.DispatchSummary[];
  assert.deepEqual(
    named.map((d) => d.latticeName),
    named.map(() => "greeting"),
  );
  assert.ok(named.some((d) => d.id === good.dispatchId));
  const one = JSON.parse((await valence("list", "--limit", "1", "--json")).stdout) as ct.DispatchSummary[];
  assert.equal(one.length, 1);

  const wrong = await valence("list", "--status", "done");
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /--status done: one of .*completed/);
  const refused = await callDispatcher(dispatcher.current(), "GET", "/api/v1/dispatches?status=DONE");
  assert.equal(refused.status, 400);
  assert.match(refused.body.details?.[0] ?? "", /status=DONE: one of NEW_OBJECT/);
});

test("valence show prints the dispatch and each node: status, tries, what it takes from, output or error", async () => {
  const good = await ct.dispatchSync(greeting)("bob");
  const shown = await valence("show", good.dispatchId);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, new RegExp(`^Dispatch ${good.dispatchId} of "greeting": COMPLETED`));
  const rows = shown.stdout.split("\n").filter((l) => /^\d+\s/.test(l));
  const byName = rows.map((r) => r.split(/\s{2,}/));
  // Parameters, the two greets (the second waits for the first: "~"), the list they return.
  const greets = byName.filter((cells) => cells[1] === "greet");
  assert.equal(greets.length, 2, shown.stdout);
  assert.ok(
    greets.every((cells) => cells.includes("COMPLETED") && cells.includes("1")),
    shown.stdout,
  );
  assert.match(shown.stdout, /greet\s+electron\s+COMPLETED\s+1\s+\S+ ms\s+\S*~\d+/, "the wait edge is marked ~");

  const bad = await ct.dispatchSync(failing)(7);
  const failedShow = await valence("show", bad.dispatchId);
  assert.match(failedShow.stdout, /fail\s+electron\s+FAILED\s+1\s+.*RangeError: no good: 7/);

  const json = JSON.parse((await valence("show", good.dispatchId, "--json")).stdout) as {
    status: string;
    result: unknown;
    graph: ct.DagDocument;
  };
  assert.equal(json.status, "COMPLETED");
  assert.deepEqual(json.result, [3, 5]);
  assert.ok(json.graph.edges.some((e) => e.kind === "wait"));

  const unknown = await valence("show", "no-such-dispatch");
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /no dispatch with id "no-such-dispatch"/);
});

test("valence logs prints each task's lines with the node they came from; one node; JSON lines", async () => {
  const run = await ct.dispatchSync(greeting)("cy");
  const all = await valence("logs", run.dispatchId);
  assert.equal(all.code, 0, all.stderr);
  assert.match(all.stdout, /greet#\d+ hello cy/);
  assert.match(all.stdout, /greet#\d+ warned cy/);
  assert.match(all.stdout, /greet#\d+ hello again/);

  const nodes = run.nodes.filter((n) => n.attempts > 0).map((n) => n.id);
  const first = await valence("logs", run.dispatchId, String(nodes[0]));
  const lines = first.stdout.trim().split("\n");
  assert.equal(lines.length, 2, first.stdout);
  assert.ok(lines.every((l) => l.includes(`greet#${nodes[0]}`)));

  const json = (await valence("logs", run.dispatchId, "--json")).stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { node: number; name: string; stream: string; text: string; attempt: number });
  assert.equal(json.length, 4);
  assert.deepEqual(new Set(json.map((l) => l.stream)), new Set(["stdout", "stderr"]));
  assert.ok(json.every((l) => l.name === "greet" && l.attempt === 1));

  const wrong = await valence("logs", run.dispatchId, "999");
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /has no node 999/);
});

test("valence logs --follow keeps printing until the dispatch finishes; valence cancel stops a running one", async () => {
  const running = await ct.dispatch(napping)(1_500);
  const followed = valence("logs", running.id, "--follow");
  const done = await followed;
  assert.equal(done.code, 0, done.stderr);
  assert.match(done.stdout, /nap#\d+ nap starts[\s\S]*nap#\d+ nap ends/);
  assert.equal((await ct.getResult(running)).status, "COMPLETED");

  const long = await ct.dispatch(napping)(60_000);
  await ct.getResult(long, { wait: false });
  const cancelled = await valence("cancel", long.id);
  assert.equal(cancelled.code, 0, cancelled.stderr);
  assert.match(cancelled.stdout, new RegExp(`cancelling dispatch ${long.id}`));
  const final = await ct.getResult(long, { wait: true, timeoutMs: 20_000 });
  assert.equal(final.status, "CANCELLED");
  const again = await valence("cancel", long.id);
  assert.match(again.stdout, /is already CANCELLED/);
});

const big = ct.electron(function big(n: number) {
  return "x".repeat(n);
});
const keep = ct.electron(function keep(text: string) {
  writeFileSync(join(ct.taskContext().volume!.path, "kept.txt"), text);
  return text;
});
const bigFlow = ct.lattice(function bigFlow(n: number) {
  return big(n);
});
const child = ct.electron(
  ct.lattice(function inner(n: number) {
    return big(n);
  }),
);
const withChild = ct.lattice(function withChild(n: number) {
  return child(n);
});
const saving = ct.lattice(function saving(text: string) {
  return keep(text);
});

test("valence delete removes finished dispatches for good: rows, output files, sublattices' dispatches; refuses running ones", async () => {
  const { dataDir } = dispatcher.current();
  const large = await ct.dispatchSync(bigFlow)(1_200_000); // over the 1 MB that goes to a file
  const parent = await ct.dispatchSync(withChild)(10);
  assert.equal(large.status, "COMPLETED");
  assert.equal(parent.status, "COMPLETED");
  assert.ok(existsSync(join(dataDir, "outputs", large.dispatchId)), "the large output is a file");
  const children = (await ct.listDispatches({ limit: 1000 })).filter((d) => d.parentId === parent.dispatchId);
  assert.equal(children.length, 1);
  const refused = await valence("delete", children[0]!.id);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /is the sublattice of node \d+ of dispatch .*: delete that one/);

  const deleted = await valence("delete", large.dispatchId, parent.dispatchId, "--json");
  assert.equal(deleted.code, 0, deleted.stderr);
  const reply = JSON.parse(deleted.stdout) as { deleted: string[]; kept: number };
  assert.deepEqual(new Set(reply.deleted), new Set([large.dispatchId, parent.dispatchId, children[0]!.id]));
  assert.ok(!existsSync(join(dataDir, "outputs", large.dispatchId)), "its output file went with it");
  for (const id of reply.deleted) assert.match((await valence("show", id)).stderr, /no dispatch with id/);

  const running = await ct.dispatch(napping)(30_000);
  const busy = await valence("delete", running.id);
  assert.equal(busy.code, 1);
  assert.match(busy.stderr, /is (PENDING|RUNNING): cancel it \(valence cancel .*\) before deleting it/);
  await ct.cancel(running);
  await ct.getResult(running, { wait: true });
  assert.match((await valence("delete", running.id)).stdout, /deleted 1 dispatch/);
  assert.match((await valence("delete", "no-such-dispatch")).stderr, /no dispatch with id "no-such-dispatch"/);
});

test("valence purge asks for --yes without a terminal, keeps unfinished dispatches, and with --volumes removes unshared volumes", async () => {
  const { dataDir } = dispatcher.current();
  const first = await ct.dispatchSync(saving, { volume: ct.volume("cli-purge") })("one");
  assert.equal(first.status, "COMPLETED", String(first));
  assert.ok(existsSync(join(dataDir, "volumes", "cli-purge", "kept.txt")));
  const running = await ct.dispatch(napping)(30_000);

  const refused = await valence("purge");
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /pass --yes to confirm/);
  assert.equal((await ct.getResult(first.dispatchId)).status, "COMPLETED", "nothing was deleted");

  const purged = await valence("purge", "--yes", "--volumes");
  assert.equal(purged.code, 0, purged.stderr);
  assert.match(purged.stdout, /deleted \d+ dispatch\(es\), volumes cli-purge; 1 unfinished kept/);
  assert.ok(!existsSync(join(dataDir, "volumes", "cli-purge")), "the volume no dispatch names any more");
  const left = await ct.listDispatches({ limit: 1000 });
  assert.deepEqual(
    left.map((d) => d.id),
    [running.id],
  );
  await ct.cancel(running);
  await ct.getResult(running, { wait: true });
});

test("valence triggers lists the running triggers; valence triggers stop stops one", async () => {
  const source = await ct.dispatch(greeting, { triggers: [ct.timeTrigger({ everyMs: 3_600_000 })] })("trigger");
  const [trigger] = await ct.listTriggers({ dispatchId: source.id });
  const listed = await valence("triggers");
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /ID\s+DISPATCH\s+WHEN\s+FIRED/);
  assert.match(listed.stdout, new RegExp(`${trigger!.id}\\s+${source.id}\\s+every 3600000 ms\\s+0`));
  const stopped = await valence("triggers", "stop", trigger!.id);
  assert.equal(stopped.code, 0, stopped.stderr);
  assert.match(stopped.stdout, /^stopped trigger .* \(every 3600000 ms\); it made 0 dispatches$/m);
  assert.match((await valence("triggers")).stdout, /^no running triggers \(--all lists stopped ones\)$/m);
  const all = JSON.parse((await valence("triggers", "--all", "--json")).stdout) as ct.TriggerRecord[];
  assert.ok(all.find((t) => t.id === trigger!.id)?.stoppedAt !== undefined);
  const unknown = await valence("triggers", "stop", "no-such-trigger");
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.stderr, /no trigger with id "no-such-trigger"/);
});
