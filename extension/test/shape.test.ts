// What the extension draws of a DAG document (src/shape.ts): wide fan-outs folded into one "×N" node
// with its members' progress, a folded group expanded on request, helper nodes hidden with their
// edges rejoined. Documents come from real lattices (graph.toJSON(), as the kernel sends them).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as ct from "valence-workflows";
import { syncSchema } from "../scripts/sync-schema.mjs";

syncSchema(); // src/ imports the schema copies the build makes
const { shapeGraph } = await import("../src/shape.ts");

const load = ct.electron(function load() {
  return { rows: [1, 2, 3] };
});
const work = ct.electron(function work(rows: number[], i: number) {
  return rows.length * i;
});
const total = ct.electron(function total(parts: number[]) {
  return parts.reduce((a, b) => a + b, 0);
});
const flow = ct.lattice(function flow(n: number) {
  const rows = load().rows;
  return total(Array.from({ length: n }, (_, i) => work(rows, i)));
});

test("a fan-out wider than the threshold is one ×N node, with its members' progress; expanding it shows them all", () => {
  const document = flow.build(40).toJSON();
  const statuses = ["COMPLETED", "RUNNING", "FAILED"] as const;
  let k = 0;
  for (const node of document.nodes) if (node.name === "work") node.status = statuses[k++ % 3];
  const folded = shapeGraph(document, { hideHelpers: false, collapseThreshold: 10, expanded: new Set() });
  const groups = folded.nodes.filter((n) => n.group);
  assert.equal(groups.length, 1);
  const group = groups[0]!;
  assert.equal(group.node.name, "work ×40");
  assert.deepEqual(group.group!.counts, { total: 40, completed: 14, running: 13, failed: 13, waiting: 0 });
  assert.equal(group.node.status, "FAILED", "a failed member shows on the group");
  assert.ok(folded.nodes.length < 10, `${folded.nodes.length} nodes drawn`);
  // Every member's own parameter (its index i) folds into the group too: edges run group → list → total.
  assert.ok(folded.edges.some((e) => e.source === group.id));

  const expanded = shapeGraph(document, {
    hideHelpers: false,
    collapseThreshold: 10,
    expanded: new Set([group.group!.key]),
  });
  assert.equal(expanded.nodes.filter((n) => n.node.name === "work").length, 40);
  assert.equal(expanded.nodes.filter((n) => n.group).length, 0);
  const narrow = shapeGraph(flow.build(5).toJSON(), { hideHelpers: false, collapseThreshold: 10, expanded: new Set() });
  assert.equal(narrow.nodes.filter((n) => n.group).length, 0, "five siblings are drawn one by one");
});

test("hidden helpers take their edges with them: load → work runs straight, through .rows", () => {
  const document = flow.build(3).toJSON();
  const shaped = shapeGraph(document, { hideHelpers: true, collapseThreshold: 0, expanded: new Set() });
  assert.deepEqual([...new Set(shaped.nodes.map((n) => n.node.kind))], ["electron"]);
  const id = (name: string): number[] => shaped.nodes.filter((n) => n.node.name === name).map((n) => n.id);
  const [loadId] = id("load");
  const [totalId] = id("total");
  for (const workId of id("work")) {
    assert.ok(
      shaped.edges.some((e) => e.source === loadId && e.target === workId),
      `load → work ${workId}`,
    );
    assert.ok(
      shaped.edges.some((e) => e.source === workId && e.target === totalId),
      `work ${workId} → total`,
    );
  }
});
