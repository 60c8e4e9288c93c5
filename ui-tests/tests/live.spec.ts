// The DAG of a dispatch in the real JupyterLab, fed by the real kernel and dispatcher: nodes turn from
// pending to completed live (over the dispatcher's websocket), a failure shows its error in the node
// panel, a reload shows the final state, a 1,000-node lattice stays interactive, the Dispatches
// sidebar opens a dispatch in the main area, and the dark theme stays readable.
import { readFileSync } from "node:fs";
import { join } from "node:path";

import type { Page } from "@playwright/test";

import { dataProcessingDag } from "../fixtures/dags";
import { KERNEL } from "../kernel-spec.mjs";
import { expect, test, type Lab } from "../support/lab";

const DEFINITIONS = `import * as ct from "valence-workflows";
const square = ct.electron(async function square(x: number) {
  await new Promise((resolve) => setTimeout(resolve, 500));
  return x * x;
});
const total = ct.electron(function total(xs: number[]) { return xs.reduce((a, b) => a + b, 0); });
const boom = ct.electron(function boom(x: number): number { throw new Error(\`boom at \${x}\`); });
const squares = ct.lattice(function squares(n: number) { return total(Array.from({ length: n }, (_, i) => square(i))); });
const failing = ct.lattice(function failing(n: number) { return total([square(n), boom(n)]); });
const fanOut = ct.electron(ct.lattice(function fanOut(n: number) { return Array.from({ length: n }, (_, i) => square(i)); }));
const nested = ct.lattice(function nested(n: number) { return fanOut(n); });
"defined"`;

const KERNEL_INFO = { name: KERNEL.name, display_name: KERNEL.spec.display_name };
const cellsOf = (lab: Lab) => lab.page.locator(".jp-Notebook .jp-Cell");

/** Opens a notebook of DEFINITIONS plus `cells`, runs the definitions and leaves the next cell active. */
async function notebookWith(lab: Lab, path: string, cells: string[]): Promise<void> {
  await lab.putNotebook(path, KERNEL_INFO, [{ source: DEFINITIONS }, ...cells.map((source) => ({ source }))]);
  await lab.open(path);
  await lab.waitForKernelIdle(KERNEL.spec.display_name);
  await cellsOf(lab).nth(0).locator(".jp-InputArea-editor").click();
  await lab.page.keyboard.press("Shift+Enter");
  await expect(cellsOf(lab).nth(0).locator(".jp-OutputArea-output")).toHaveText("'defined'");
}

async function runCell(lab: Lab, index: number): Promise<void> {
  await cellsOf(lab).nth(index).locator(".jp-InputArea-editor").click();
  await lab.page.keyboard.press("Shift+Enter");
}

const command = (page: Page, id: string, args: object = {}) =>
  page.evaluate(
    ([id, args]) =>
      (
        window as unknown as { jupyterapp: { commands: { execute(id: string, args: object): Promise<unknown> } } }
      ).jupyterapp.commands.execute(id, args),
    [id, args] as const,
  );

test("a dispatch turns its nodes from pending to completed live, and a reload shows the final state", async ({
  lab,
}) => {
  await notebookWith(lab, "live.ipynb", ["await ct.dispatch(squares)(6)"]);
  await runCell(lab, 1);
  const output = cellsOf(lab).nth(1);
  const dag = output.locator("svg.valence-dag");
  // Live: the websocket badge, and tasks not yet done while the 500 ms squares run.
  await expect(output.locator(".valence-live-live")).toBeVisible();
  await expect(dag.locator(".valence-kind-electron:not(.valence-status-completed)").first()).toBeVisible();
  await lab.page.screenshot({ path: test.info().outputPath("live-running.png") });
  await expect(dag.locator(".valence-kind-electron.valence-status-completed")).toHaveCount(7);
  await expect(output.locator(".valence-dag-counts")).toHaveText("7/7 done · 0 running · 0 failed");
  await expect(output.locator(".valence-dag-summary .valence-dag-status")).toHaveText("COMPLETED");
  await output.screenshot({ path: test.info().outputPath("live-completed.png") });

  await lab.page.keyboard.press("ControlOrMeta+s");
  await expect(lab.page.locator(".jp-mod-dirty")).toHaveCount(0);
  await lab.open("live.ipynb");
  const reopened = cellsOf(lab).nth(1);
  await expect(reopened.locator("svg.valence-dag .valence-kind-electron.valence-status-completed")).toHaveCount(7);
  await expect(reopened.locator(".valence-dag-summary .valence-dag-status")).toHaveText("COMPLETED");
  await lab.page.screenshot({ path: test.info().outputPath("reloaded.png") });
  expect(lab.errors).toEqual([]);
});

test("a failing electron shows FAILED and its error in the node panel; the sidebar opens the dispatch", async ({
  lab,
}) => {
  await notebookWith(lab, "failing.ipynb", ["await ct.dispatch(failing)(2)"]);
  await runCell(lab, 1);
  const output = cellsOf(lab).nth(1);
  await expect(output.locator(".valence-dag-summary .valence-dag-status")).toHaveText("FAILED", { timeout: 30_000 });
  const failed = output.locator("svg.valence-dag .valence-node.valence-status-failed");
  await expect(failed).toHaveCount(1);
  await failed.locator(".valence-node-shape").click();
  const panel = output.locator(".valence-node-panel");
  await expect(panel.locator(".valence-panel-title")).toHaveText("boom");
  await expect(panel.locator(".valence-panel-error")).toContainText("boom at 2");
  await expect(panel.locator(".valence-panel-inputs")).toContainText("arg 0");
  await output.screenshot({ path: test.info().outputPath("failed-node-panel.png") });

  await command(lab.page, "valence:open-dispatches");
  const item = lab.page.locator(".valence-dispatch-item", { hasText: "failing" }).first();
  await expect(item).toContainText("FAILED");
  await item.click();
  const tab = lab.page.locator(".valence-dispatch-panel");
  await expect(tab.locator("svg.valence-dag .valence-node.valence-status-failed")).toHaveCount(1);
  await lab.page.screenshot({ path: test.info().outputPath("dispatches-sidebar.png") });
  expect(lab.errors).toEqual([]);
});

test("the node panel cancels a running dispatch through the kernel", async ({ lab }) => {
  await notebookWith(lab, "cancel.ipynb", ["await ct.dispatch(squares)(40)"]);
  await runCell(lab, 1);
  const output = cellsOf(lab).nth(1);
  await expect(output.locator(".valence-live-live")).toBeVisible();
  await output
    .locator("svg.valence-dag .valence-kind-electron.valence-status-running .valence-node-shape")
    .first()
    .click();
  await output.locator(".valence-node-panel button", { hasText: "Cancel dispatch" }).click();
  await expect(output.locator(".valence-dag-summary .valence-dag-status")).toHaveText("CANCELLED");
  await expect(output.locator("svg.valence-dag .valence-kind-electron.valence-status-cancelled").first()).toBeVisible();
  const completed = await output.locator("svg.valence-dag .valence-kind-electron.valence-status-completed").count();
  expect(completed).toBeLessThan(41);
  await output.screenshot({ path: test.info().outputPath("cancelled.png") });
  expect(lab.errors).toEqual([]);
});

test("a sublattice node opens its child dispatch, live, in a main-area tab", async ({ lab }) => {
  await notebookWith(lab, "nested.ipynb", ["await ct.dispatch(nested)(3)"]);
  await runCell(lab, 1);
  const output = cellsOf(lab).nth(1);
  await output.locator("svg.valence-dag .valence-kind-sublattice .valence-node-shape").click();
  const open = output.locator(".valence-panel-children button", { hasText: "Open fanOut" });
  await expect(open).toBeVisible();
  await open.click();
  const tab = lab.page.locator(".valence-dispatch-panel");
  await expect(tab.locator("svg.valence-dag .valence-kind-electron")).toHaveCount(3);
  await expect(tab.locator("svg.valence-dag .valence-kind-electron.valence-status-completed")).toHaveCount(3);
  await expect(output.locator(".valence-dag-summary .valence-dag-status")).toHaveText("COMPLETED");
  await lab.page.screenshot({ path: test.info().outputPath("sublattice-child.png") });
  expect(lab.errors).toEqual([]);
});

test("when the dispatcher dies mid-dispatch the DAG says so, then follows the restarted one to the end", async ({
  lab,
}) => {
  await notebookWith(lab, "restart.ipynb", ["await ct.dispatch(squares)(24)"]);
  await runCell(lab, 1);
  const output = cellsOf(lab).nth(1);
  await expect(output.locator(".valence-live-live")).toBeVisible();
  await expect(output.locator("svg.valence-dag .valence-kind-electron.valence-status-completed").first()).toBeVisible();
  const runtime = join(process.env.VALENCE_DATA_DIR!, "dispatcher.json");
  const { pid } = JSON.parse(readFileSync(runtime, "utf8")) as { pid: number };
  process.kill(pid, "SIGKILL");
  await expect(output.locator(".valence-live-reconnecting, .valence-live-offline")).toBeVisible();
  await lab.page.screenshot({ path: test.info().outputPath("dispatcher-gone.png") });
  // The kernel finds no dispatcher, starts one, which resumes the dispatch; the page asks the kernel
  // for the new address and credential and is live again before the end.
  await expect(output.locator(".valence-live-live")).toBeVisible();
  await expect(output.locator("svg.valence-dag .valence-kind-electron.valence-status-completed")).toHaveCount(25, {
    timeout: 60_000,
  });
  await expect(output.locator(".valence-dag-summary .valence-dag-status")).toHaveText("COMPLETED");
  await expect(output.locator(".valence-live")).toHaveCount(0);
  expect(JSON.parse(readFileSync(runtime, "utf8")).pid).not.toBe(pid);
  expect(lab.errors.filter((error) => !/WebSocket|ERR_CONNECTION_REFUSED|401/.test(error))).toEqual([]);
});

test("a 1,000-node lattice renders folded, expands on click and stays interactive", async ({ lab }) => {
  await notebookWith(lab, "big.ipynb", ["squares.draw(499)"]);
  await runCell(lab, 1);
  const output = cellsOf(lab).nth(1);
  const group = output.locator("svg.valence-dag .valence-group");
  await expect(group).toHaveCount(1);
  await expect(group.locator(".valence-node-label")).toHaveText("square ×499");
  const started = Date.now();
  await group.locator(".valence-node-shape").click();
  await expect(output.locator("svg.valence-dag .valence-node")).toHaveCount(1_000);
  // Laid out off the main thread, in the extension's worker.
  await expect(output.locator(".valence-dag-frame")).toHaveAttribute("data-layout", "worker");
  console.log(`expanding 1,000 nodes took ${Date.now() - started} ms (click to drawn)`);
  const node = output.locator('svg.valence-dag .valence-node[data-node-id="600"]');
  await node.scrollIntoViewIfNeeded();
  await node.locator(".valence-node-shape").click();
  await expect(output.locator(".valence-node-panel")).toBeVisible();
  await lab.page.screenshot({ path: test.info().outputPath("thousand-nodes.png") });
  expect(lab.errors).toEqual([]);
});

test("the dark theme keeps the DAG readable", async ({ lab }) => {
  const statuses = ["COMPLETED", "COMPLETED", "RUNNING", "FAILED", "CANCELLED", "PENDING"] as const;
  await lab.putNotebook("dark.ipynb", KERNEL_INFO, [
    {
      source: "shown",
      outputs: [
        {
          output_type: "display_data",
          data: {
            "application/vnd.valence.dag+json": dataProcessingDag(3, [...statuses], { id: "d-dark", status: "FAILED" }),
            "text/plain": ["DAG"],
          },
          metadata: {},
        },
      ],
    },
  ]);
  await lab.open("dark.ipynb");
  // JupyterLab shows one splash element at start-up and per theme change and removes it 200 ms after:
  // a change inside that time makes its own removal throw (JupyterLab's, not ours). Let each finish,
  // the start-up one included.
  await expect(lab.page.locator("#jupyterlab-splash")).toHaveCount(0);
  await command(lab.page, "apputils:change-theme", { theme: "JupyterLab Dark" });
  await expect(lab.page.locator("body")).toHaveAttribute("data-jp-theme-light", "false");
  await expect(lab.page.locator("#jupyterlab-splash")).toHaveCount(0);
  const output = cellsOf(lab).nth(0);
  await expect(output.locator(".valence-node.valence-status-failed")).toHaveCount(1);
  // Every task's label against its box, whatever its status: WCAG contrast of at least 4.5.
  const contrasts = await output.locator(".valence-kind-electron").evaluateAll((nodes) => {
    const rgb = (css: string): number[] => {
      const numbers = (css.match(/[\d.]+/g) ?? []).map(Number);
      return css.startsWith("color(") ? numbers.slice(0, 3) : numbers.slice(0, 3).map((n) => n / 255);
    };
    const luminance = (css: string): number => {
      const [r, g, b] = rgb(css).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
      return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
    };
    return nodes.map((node) => {
      const text = getComputedStyle(node.querySelector(".valence-node-label")!).fill;
      const box = getComputedStyle(node.querySelector(".valence-node-shape")!).fill;
      const [light, dark] = [luminance(text), luminance(box)].sort((a, b) => b - a);
      return { node: node.getAttribute("class"), text, box, ratio: (light! + 0.05) / (dark! + 0.05) };
    });
  });
  for (const contrast of contrasts) expect(contrast.ratio, JSON.stringify(contrast)).toBeGreaterThanOrEqual(4.5);
  await output.screenshot({ path: test.info().outputPath("dark-theme.png") });
  await command(lab.page, "apputils:change-theme", { theme: "JupyterLab Light" });
  await expect(lab.page.locator("body")).toHaveAttribute("data-jp-theme-light", "true");
  await expect(lab.page.locator("#jupyterlab-splash")).toHaveCount(0);
  expect(lab.errors).toEqual([]);
});
