// Dispatches that break the graph rules (issue 18): each is refused with a 400 naming the field,
// nothing of it is stored, and the dispatcher goes on running everyone's work.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as ct from "valence-workflows";
import { jsonDepth } from "#src/dispatcher/json-depth.js";
import { useDispatcher } from "../support/dispatcher.ts";
import { callDispatcher, dispatchBody, type DispatchBody } from "../support/requests.ts";

const dispatcher = useDispatcher();

const add = ct.electron(function add(a: number, b: number) {
  return a + b;
});
const sum = ct.lattice(function sum(x: number) {
  return add(add(x, 1), 2);
});

async function refused(body: unknown, pattern: RegExp): Promise<void> {
  const before = await callDispatcher(dispatcher.current(), "GET", "/api/v1/dispatches?limit=1000");
  const res = await callDispatcher(dispatcher.current(), "POST", "/api/v1/dispatches", body);
  assert.equal(res.status, 400, JSON.stringify(res.body));
  const said = [res.body.error, ...(res.body.details ?? [])].join("\n");
  assert.match(said, pattern);
  const after = await callDispatcher(dispatcher.current(), "GET", "/api/v1/dispatches?limit=1000");
  assert.deepEqual(after.body, before.body, "nothing of a refused dispatch is stored");
}

function mutated(change: (body: DispatchBody) => void): DispatchBody {
  const body = dispatchBody(sum as never, 1);
  change(body);
  return body;
}

async function stillServing(): Promise<void> {
  assert.equal((await ct.dispatchSync(sum)(1)).result, 4);
}

test("an edge whose argument position is 2^31 - 1 is refused, not run out of memory", async () => {
  const rssBefore = process.memoryUsage().rss;
  await refused(
    mutated((b) => (b.graph.edges.position[0] = 2147483647)),
    /graph\.edges\.position\[0\] is 2147483647, but node \d+ has 2 data input/,
  );
  await stillServing();
  assert.ok(process.memoryUsage().rss - rssBefore < 200 * 2 ** 20, "no giant argument array was made");
});

test("an electron spec without functions is refused with 400, and nothing is stored RUNNING", async () => {
  await refused(
    mutated((b) => delete b.graph.electrons[0]!.functions),
    /graph\/electrons\/0 must have required property 'functions'/,
  );
  await refused(
    mutated((b) => (b.graph.electrons[0]!.electron.fn = 7)),
    /graph\.electrons\[0\]\.electron\.fn is 7, but graph\.electrons\[0\]\.functions has 1 entries/,
  );
  await refused(
    mutated((b) => (b.lattice.version = 2)),
    /lattice\/version must be equal to constant/,
  );
  await stillServing();
});

test("a self-loop and a cycle are refused instead of staying RUNNING forever", async () => {
  const withEdge = (source: number, target: number) =>
    mutated((b) => {
      b.graph.edges.source.push(source);
      b.graph.edges.target.push(target);
      b.graph.edges.kind += "w";
      b.graph.edges.position.push(-1);
    });
  const body = dispatchBody(sum as never, 1);
  const kinds = body.graph.nodes.kind as string;
  const tasks = [...kinds].flatMap((k, i) => (k === "e" ? [i] : []));
  assert.equal(tasks.length, 2);
  await refused(withEdge(tasks[0]!, tasks[0]!), new RegExp(`node ${tasks[0]} \\("add"\\) depends on itself`));
  // The second add reads the first: a wait edge back closes a cycle.
  await refused(withEdge(tasks[1]!, tasks[0]!), /the graph has a cycle/);
  await stillServing();
});

test("references out of range are refused with the field that holds them", async () => {
  await refused(
    mutated((b) => (b.graph.output = { kind: "future", node: 99 })),
    /graph\.output\.node is 99, but the graph has \d+ nodes/,
  );
  let nested: unknown = { kind: "future", node: 0 };
  for (let i = 0; i < 100; i++) nested = { kind: "array", items: [nested] };
  await refused(
    mutated((b) => (b.graph.output = nested)),
    /nests deeper than 64 levels/,
  );
  await refused(
    mutated((b) => ((b.graph.edges as unknown as { keys: object }).keys = { 40: "x" })),
    /graph\.edges\.keys names edge 40/,
  );
  await stillServing();
});

test("inputs that are not serialized arguments are refused at dispatch and at redispatch (the fuzzer's 500s)", async () => {
  await refused(
    mutated((b) => (b.inputs = "/w9BAU+KJAAB")),
    /inputs are not v8-serialized arguments/,
  );
  const id = String(await ct.dispatch(sum)(1));
  const res = await callDispatcher(dispatcher.current(), "POST", `/api/v1/dispatches/${id}/redispatch`, {
    inputs: "w9BAUkKJAAB",
  });
  assert.equal(res.status, 400, JSON.stringify(res.body));
  assert.match(res.body.error!, /redispatch inputs are not v8-serialized arguments/);
  const list = await callDispatcher(dispatcher.current(), "GET", "/api/v1/dispatches?limit=1.5");
  assert.equal(list.status, 200, JSON.stringify(list.body));
  assert.equal((await callDispatcher(dispatcher.current(), "GET", "/api/v1/dispatches?limit=x")).status, 400);
  await stillServing();
});

test("a request nested 100,000 levels deep is refused with 400, not run out of stack", async () => {
  for (const depth of [600, 100_000]) {
    const body = dispatchBody(sum as never, 1);
    const functions = body.lattice.functions as Array<{ bindings: Record<string, unknown> }>;
    functions[0]!.bindings.deep = { kind: "value", data: "HERE" };
    const text = JSON.stringify(body).replace('"HERE"', "[".repeat(depth) + "]".repeat(depth));
    await refused(text, /request body nests deeper than 512 levels/);
  }
  // Brackets inside strings do not count.
  assert.equal(jsonDepth('["[[[\\"[[", {"a": "]]]{"}]', 512), 2);
  await stillServing();
});
