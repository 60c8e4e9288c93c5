// The display rules the kernel's drawing and the extension share (schema/src/display.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { DAG_MIME_TYPE, MAX_LABEL_CHARS, fullLabel, isFinal, nodeLabel } from "@valence/schema";

test("a node's label says what it is, on one line, cut by code point to MAX_LABEL_CHARS", () => {
  assert.equal(nodeLabel({ kind: "electron", name: "train" }), "train");
  assert.equal(nodeLabel({ kind: "getitem", name: "getitem", key: 2 }), "[2]");
  assert.equal(nodeLabel({ kind: "getattr", name: "getattr", key: "rows" }), ".rows");
  assert.equal(nodeLabel({ kind: "list", name: "list" }), "[ … ]");
  assert.equal(nodeLabel({ kind: "dict", name: "dict" }), "{ … }");
  const value = { type: "string", preview: "'a\n  b'" } as const;
  assert.equal(nodeLabel({ kind: "parameter", name: "x", value }), "'a b'");
  const long = "🧪".repeat(40);
  const label = nodeLabel({ kind: "electron", name: long });
  assert.equal(Array.from(label).length, MAX_LABEL_CHARS);
  assert.ok(label.endsWith("🧪…"), "no emoji is split in half");
  assert.equal(fullLabel({ kind: "electron", name: long }), long);
});

test("final statuses are those a dispatch or node never leaves", () => {
  assert.deepEqual(["NEW_OBJECT", "PENDING", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"].filter(isFinal), [
    "COMPLETED",
    "FAILED",
    "CANCELLED",
  ]);
  assert.equal(DAG_MIME_TYPE, "application/vnd.valence.dag+json");
});
