// What Covalent users ask of a result besides its value, through a real dispatcher: the status alone
// (getResult's statusOnly, waiting or not), the inputs a dispatch was given (a redispatch's own), and
// every completed task's output at once (one request).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as ct from "valence-workflows";
import { deleteDispatches } from "#src/client/api.js";
import { useDispatcher } from "../support/dispatcher.ts";
import { validateProtocol } from "../support/schema.ts";

const dispatcher = useDispatcher();

const square = ct.electron(function square(x: number) {
  return x * x;
});
const label = ct.electron(function label(values: number[], options: { prefix: string }) {
  return `${options.prefix}${values.join("+")}`;
});
const slow = ct.electron(async function slow(ms: number) {
  await new Promise((r) => setTimeout(r, ms));
  return ms;
});
const squares = ct.lattice(function squares(a: number, b: number, options: { prefix: string }) {
  return label([square(a), square(b)], options);
});

test("getResult with statusOnly gives the status and timings alone, now or once finished", async () => {
  const running = await ct.dispatch(ct.lattice((ms: number) => slow(ms), { name: "sleepy" }))(600);
  const now = await ct.getResult(running, { statusOnly: true });
  assert.equal(now.id, running.id);
  assert.equal(now.latticeName, "sleepy");
  assert.ok(["NEW_OBJECT", "PENDING", "RUNNING"].includes(now.status), now.status);
  assert.ok(!("nodes" in now) && !("result" in now));
  const done = await ct.getResult(running, { statusOnly: true, wait: true });
  assert.equal(done.status, "COMPLETED");
  assert.ok(done.endedAt! >= done.startedAt!);
  await assert.rejects(
    ct.getResult("no-such-dispatch", { statusOnly: true }),
    /no dispatch with id "no-such-dispatch"/,
  );
});

test("a result's inputs are the arguments it was dispatched with, and a redispatch's its own", async () => {
  const result = await ct.dispatchSync(squares)(3, 4, { prefix: "=" });
  assert.equal(result.result, "=9+16");
  assert.deepEqual(await result.getInputs(), [3, 4, { prefix: "=" }]);
  const again = await ct.getResult(await ct.redispatch(result.dispatchId)(5, 6, { prefix: "~" }), { wait: true });
  assert.equal(again.result, "~25+36");
  assert.deepEqual(await again.getInputs(), [5, 6, { prefix: "~" }]);
  const same = await ct.getResult(await ct.redispatch(result.dispatchId)(), { wait: true });
  assert.deepEqual(await same.getInputs(), [3, 4, { prefix: "=" }]);
});

test("getOutputs gives every completed task's output by node id, with its electron's name", async () => {
  const result = await ct.dispatchSync(squares)(2, 7, { prefix: "" });
  const outputs = await result.getOutputs();
  assert.deepEqual(
    [...outputs.values()].map(({ name, output }) => [name, output]),
    [
      ["square", 4],
      ["square", 49],
      ["label", "4+49"],
    ],
  );
  for (const [nodeId, { output }] of outputs) assert.deepEqual((await result.getNodeResult(nodeId)).output, output);
});

const big = ct.electron(function big(n: number) {
  return "x".repeat(n);
});
const boom = ct.electron(function boom(_s: string): string {
  throw new Error("no disk");
});
const partly = ct.lattice(function partly(n: number) {
  const text = big(n);
  return [boom(text), square(3), text];
});

test("getOutputs reads every output in one request: a failed task has none, a large one comes from its file", async () => {
  const n = 3_000_000; // past what the store keeps in the row: the output is a file
  const result = await ct.dispatchSync(partly)(n);
  assert.equal(result.status, "FAILED");
  const outputs = await result.getOutputs();
  assert.deepEqual(
    [...outputs.values()].map(({ name, output }) => [name, typeof output === "string" ? output.length : output]),
    [
      ["big", n],
      ["square", 9],
    ],
  );
  const { url, token } = dispatcher.current();
  const response = await fetch(`${url}/api/v1/dispatches/${result.dispatchId}/outputs`, {
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(response.status, 200);
  validateProtocol("dispatchOutputs", await response.json());
  const unknown = await fetch(`${url}/api/v1/dispatches/no-such-dispatch/outputs`, {
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(unknown.status, 404);
});

const prep = ct.electron(function prep(x: number) {
  return x + 1;
});
const train = ct.electron(function train(x: number) {
  return x * 10;
});
const report = ct.electron(function report(model: number, other: number) {
  return `model ${model}, other ${other}`;
});
const pipeline = ct.lattice(function pipeline(x: number) {
  return report(train(prep(x)), prep(100));
});

test("redispatch with replaceElectrons runs new code for those electrons and reuses the rest", async () => {
  const first = await ct.dispatchSync(pipeline)(1);
  assert.equal(first.result, "model 20, other 101");
  const betterTrain = ct.electron(function train(x: number) {
    return x * 1000;
  });
  const handle = await ct.redispatch(first.dispatchId, {
    replaceElectrons: { train: betterTrain },
    reusePreviousResults: true,
  })();
  const again = await ct.getResult(handle, { wait: true });
  assert.equal(again.result, "model 2000, other 101");
  const reused = [];
  for (const node of again.nodes) {
    const detail = await again.getNodeResult(node.id);
    if (detail.reused) reused.push(detail.name);
  }
  assert.deepEqual(reused.sort(), ["prep", "prep"], "only train and what depends on it ran again");
  await assert.rejects(
    ct.redispatch(first.dispatchId, { replaceElectrons: { evaluate: betterTrain } })(),
    /replaceElectrons names "evaluate", which the lattice of dispatch .* does not call \(it calls prep, train, report\)/,
  );
  await assert.rejects(
    ct.redispatch(first.dispatchId, { replaceElectrons: { train: ((x: number) => x) as never } })(),
    /replaceElectrons\["train"\] is not an electron/,
  );
});

test("a dispatch made after another was deleted reads its own outputs, not the deleted one's", async () => {
  // SQLite gives a deleted row's id to the next row: the store once read the deleted dispatch's
  // cached node block for the new dispatch's nodes.
  const old = await ct.dispatchSync(squares)(2, 3, { prefix: "old:" });
  assert.deepEqual(
    [...(await old.getOutputs()).values()].map((o) => o.output),
    [4, 9, "old:4+9"],
  );
  await deleteDispatches([old.dispatchId]);
  const fresh = await ct.dispatchSync(squares)(5, 6, { prefix: "new:" });
  assert.equal(fresh.result, "new:25+36");
  assert.deepEqual(
    [...(await fresh.getOutputs()).values()].map((o) => o.output),
    [25, 36, "new:25+36"],
  );
});
