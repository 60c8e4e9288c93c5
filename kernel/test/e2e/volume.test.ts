import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as ct from "valence-workflows";
import { useDispatcher } from "../support/dispatcher.ts";

const dispatcher = useDispatcher();

const save = ct.electron(function save(text: string) {
  const { volume } = ct.taskContext();
  writeFileSync(join(volume!.path, "note.txt"), text);
  return volume!.name;
});
const load = ct.electron(function load() {
  return readFileSync(join(ct.taskContext().volume!.path, "note.txt"), "utf8");
});
const writeThenRead = ct.lattice(function writeThenRead(text: string) {
  const saved = save(text);
  return { saved, read: ct.wait(load(), saved) };
});
const readOnly = ct.lattice(() => load(), { name: "readOnly" });

test("a volume attached at dispatch is a directory every task sees, and it outlives the dispatch", async () => {
  const data = ct.volume("team-data");
  const first = await ct.dispatchSync(writeThenRead, { volume: data })("hello");
  assert.deepEqual(first.result, { saved: "team-data", read: "hello" });
  const later = await ct.dispatchSync(readOnly, { volume: data })();
  assert.equal(later.result, "hello");
  assert.equal(readFileSync(join(dispatcher.current().dataDir, "volumes", "team-data", "note.txt"), "utf8"), "hello");
  const again = await ct.getResult(await ct.redispatch(later.dispatchId)(), { wait: true });
  assert.equal(again.result, "hello", `a redispatch keeps the volume: ${String(again)}`);
});

test("volume names cannot escape the volumes directory, on the client or on the wire", async () => {
  for (const name of ["..", "../etc", "a/b", "/abs", "", ".hidden"]) {
    assert.throws(() => ct.volume(name), /is not a volume name/, name);
  }
  const { url, token } = dispatcher.current();
  const response = await fetch(`${url}/api/v1/dispatches`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({
      graph: {
        version: 1,
        latticeName: "x",
        electrons: [],
        nodes: [],
        edges: [],
        output: { kind: "value", value: { type: "number", preview: "1" }, data: "" },
      },
      lattice: {},
      inputs: "",
      volume: "../outside",
    }),
  });
  assert.equal(response.status, 400);
  assert.match(((await response.json()) as { details: string[] }).details.join(" "), /\/volume must match pattern/);
});

test("taskContext() tells a task its dispatch, node and attempt, and refuses outside a task", async () => {
  const who = ct.electron(function who() {
    const { dispatchId, nodeId, attempt } = ct.taskContext();
    return { dispatchId, nodeId, attempt };
  });
  const result = await ct.dispatchSync(ct.lattice(() => who(), { name: "who" }))();
  assert.deepEqual(result.result, { dispatchId: result.dispatchId, nodeId: 0, attempt: 1 });
  assert.throws(() => ct.taskContext(), /only available inside an electron/);
});
