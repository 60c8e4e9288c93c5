// The package as users get it, in the browser: the JupyterLab that kernel/test/package/package.test.ts
// starts serves the "TypeScript (Valence)" kernel and the extension that `npx valence install
// --data-dir` put into its Jupyter data dir, from a folder where `valence-workflows` was installed
// from the packed tarball, and no other labextensions folder. A cell dispatches a lattice whose two
// tasks wait for a file (VALENCE_INSTALLED_GATE) this test writes only once the DAG shows them running
// live, so the live view is seen for sure; then every node must turn completed.
import { writeFileSync } from "node:fs";

import { expect, test } from "../support/lab";

const KERNEL_INFO = { name: "valence", display_name: "TypeScript (Valence)" };

const cellFor = (gate: string) => `import * as ct from "valence-workflows";
const held = ct.electron(async function held(path: string, n: number) {
  const { existsSync } = require("node:fs") as typeof import("node:fs");
  while (!existsSync(path)) await new Promise((resolve) => setTimeout(resolve, 50));
  return n;
});
const add = ct.electron(function add(a: number, b: number) { return a + b; });
const gated = ct.lattice(function gated(path: string) { return add(held(path, 1), held(path, 2)); });
await ct.dispatch(gated)(${JSON.stringify(gate)})`;

test("the installed extension draws a dispatch's DAG live in the cell until every node completed", async ({ lab }) => {
  const gate = process.env.VALENCE_INSTALLED_GATE;
  if (!gate) throw new Error("VALENCE_INSTALLED_GATE is not set (kernel/test/package/package.test.ts sets it)");
  await lab.putNotebook("installed.ipynb", KERNEL_INFO, [{ source: cellFor(gate) }]);
  await lab.open("installed.ipynb");
  await lab.waitForKernelIdle(KERNEL_INFO.display_name);
  const cell = lab.page.locator(".jp-Notebook .jp-Cell").first();
  await cell.locator(".jp-InputArea-editor").click();
  await lab.page.keyboard.press("Shift+Enter");

  const dag = cell.locator("svg.valence-dag");
  await expect(cell.locator(".valence-live-live")).toBeVisible();
  await expect(dag.locator(".valence-kind-electron.valence-status-running")).toHaveCount(2);
  await expect(cell.locator(".valence-dag-summary .valence-dag-status")).toHaveText("RUNNING");
  await lab.page.screenshot({ path: test.info().outputPath("installed-running.png") });

  writeFileSync(gate, "go");
  await expect(dag.locator(".valence-kind-electron.valence-status-completed")).toHaveCount(3);
  await expect(cell.locator(".valence-dag-counts")).toHaveText("3/3 done · 0 running · 0 failed");
  await expect(cell.locator(".valence-dag-summary .valence-dag-status")).toHaveText("COMPLETED");
  await cell.screenshot({ path: test.info().outputPath("installed-completed.png") });
  expect(lab.errors).toEqual([]);
});
