// Node states as columns over real HTTP: getResult asks for ?nodes=columns and its Result has the
// same nodes (and summary) as the object form; a GET without the parameter is unchanged (the browser
// extension and other clients read it); an unknown form is refused.
import { test } from "node:test";
import assert from "node:assert/strict";
import { inspect } from "node:util";
import type { ColumnarDispatchDetail, DispatchDetail } from "@valence/schema";
import * as ct from "valence-workflows";
import { Result } from "#src/client/result.js";
import { useDispatcher } from "../support/dispatcher.ts";
import { validateProtocol } from "../support/schema.ts";

const dispatcher = useDispatcher();

async function get(path: string): Promise<{ status: number; body: unknown }> {
  const { url, token } = dispatcher.current();
  const response = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, body: await response.json() };
}

const square = ct.electron(function square(x: number): number {
  return x * x;
});
const boom = ct.electron(function boom(_x: number): number {
  throw new Error("disk full");
});
const wf = ct.lattice(function mixed(n: number) {
  const xs = [];
  for (let i = 0; i < n; i++) xs.push(square(i % 4));
  return [square(boom(1)), xs];
});

/** A Result source for a test that reads only what the Result holds. */
const unasked = { node: notAsked, graph: notAsked, inputs: notAsked, outputs: notAsked };
function notAsked(): Promise<never> {
  return Promise.reject(new Error("not asked"));
}

test("getResult asks for columns and gets the nodes of the object form, field for field", async () => {
  const handle = await ct.dispatch(wf)(30);
  const urls: string[] = [];
  const realFetch = globalThis.fetch;
  globalThis.fetch = (input, init) => {
    urls.push(String(input));
    return realFetch(input, init);
  };
  let result: ct.Result;
  try {
    result = await ct.getResult(handle, { wait: true });
  } finally {
    globalThis.fetch = realFetch;
  }
  assert.ok(urls.length > 0 && urls.every((u) => u.includes("nodes=columns")), urls.join(" "));
  assert.equal(result.status, "FAILED");

  const objects = await get(`/api/v1/dispatches/${handle.id}`);
  assert.equal(objects.status, 200);
  const detail = objects.body as DispatchDetail;
  const old = new Result(detail, unasked);
  // toString from the columns, before any node object is made, is the one of the object form.
  assert.equal(String(result), String(old));
  // console.log and JSON show the result's fields and nodes, not the columns they came as.
  assert.doesNotMatch(inspect(result), /outputAt|nodeColumns/);
  assert.equal(JSON.stringify(result), JSON.stringify(old));
  assert.deepEqual((JSON.parse(JSON.stringify(result)) as { nodes: unknown }).nodes, detail.nodes);
  assert.deepStrictEqual(result.nodes, detail.nodes);
  assert.equal(JSON.stringify(result.nodes), JSON.stringify(detail.nodes));
  assert.equal(result.nodes, result.nodes, "made once");
  assert.deepEqual(new Set(result.nodes.map((n) => n.status)), new Set(["COMPLETED", "FAILED", "CANCELLED"]));
});

test("GET without ?nodes is the object form; with ?nodes=columns (and /wait) the columnar one; others are refused", async () => {
  const handle = await ct.dispatch(wf)(5);
  await ct.getResult(handle, { wait: true });
  const engine = dispatcher.current().engine;

  const plain = await get(`/api/v1/dispatches/${handle.id}`);
  validateProtocol("dispatchDetail", plain.body);
  assert.deepStrictEqual(plain.body, JSON.parse(JSON.stringify(engine.detail(handle.id))));
  assert.deepEqual(Object.keys(plain.body as object), ["dispatch", "nodes", "seq"]);

  for (const path of [
    `/api/v1/dispatches/${handle.id}?nodes=columns`,
    `/api/v1/dispatches/${handle.id}/wait?nodes=columns`,
  ]) {
    const columnar = await get(path);
    assert.equal(columnar.status, 200, path);
    validateProtocol("columnarDispatchDetail", columnar.body);
    const body = columnar.body as ColumnarDispatchDetail;
    assert.deepEqual(Object.keys(body), ["dispatch", "nodeColumns", "seq"]);
    assert.deepStrictEqual(new Result(body, unasked).nodes, (plain.body as DispatchDetail).nodes);
  }

  const refused = await get(`/api/v1/dispatches/${handle.id}?nodes=rows`);
  assert.equal(refused.status, 400);
  assert.match(JSON.stringify(refused.body), /nodes=rows/);
  assert.equal((await get(`/api/v1/dispatches/${handle.id}/wait?nodes=rows`)).status, 400);
});
