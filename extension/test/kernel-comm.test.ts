// What the extension accepts from a Valence kernel over the "valence.dispatcher" comm (src/kernels.ts):
// exactly the KernelCommReply forms of protocol.schema.json, checked here against the schema itself.
import { test } from "node:test";
import assert from "node:assert/strict";
import { validateProtocol } from "../../kernel/test/support/schema.ts";
import { syncSchema } from "../scripts/sync-schema.mjs";

syncSchema();
const { reply } = await import("../src/kernels.ts");

test("the extension takes a kernel's comm message only when it is a KernelCommReply", () => {
  const replies = [
    { type: "connection", url: "http://127.0.0.1:8765", readToken: "r" },
    { type: "connection", url: "http://127.0.0.1:8765", readToken: "r", requestId: 3 },
    { type: "error", message: "the dispatcher cannot be reached", requestId: 1 },
    { type: "cancelled", dispatchId: "d", requestId: 2 },
  ];
  for (const value of replies) {
    validateProtocol("kernelCommReply", value);
    assert.deepEqual(reply(value), value);
  }
  for (const value of [
    null,
    "connection",
    { type: "connection", url: "http://x" },
    { type: "error" },
    { type: "cancelled", dispatchId: "d", requestId: "2" },
    { type: "launch", url: "http://x", readToken: "r" },
  ]) {
    assert.equal(reply(value), undefined, JSON.stringify(value));
  }
});
