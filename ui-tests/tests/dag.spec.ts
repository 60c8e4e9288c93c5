// The extension's DAG renderer, loaded as a prebuilt extension: saved outputs render when a notebook
// opens, a cell run by the kernel renders live, and a broken bundle shows why instead of nothing.
import { danglingEdgeDag, dataProcessingDag, dataProcessingNodeCount } from "../fixtures/dags";
import { KERNEL } from "../kernel-spec.mjs";
import { expect, test } from "../support/lab";

const DAG_MIME_TYPE = "application/vnd.valence.dag+json";

const dagOutput = (document: object) => ({
  output_type: "display_data",
  data: { [DAG_MIME_TYPE]: document, "text/plain": ["<Valence DAG>"] },
  metadata: {},
});

test("a saved DAG output renders as SVG and a cell that displays a DAG renders one too", async ({ lab }) => {
  const statuses = ["COMPLETED", "COMPLETED", "COMPLETED", "RUNNING", "FAILED", "CANCELLED"] as const;
  const saved = dataProcessingDag(3, [...statuses], { id: "d-1", status: "FAILED" });
  await lab.putNotebook("dag.ipynb", { name: KERNEL.name, display_name: KERNEL.spec.display_name }, [
    { source: "dataProcessing.draw(3)", outputs: [dagOutput(saved)] },
    { source: KERNEL.displayDagCode(dataProcessingDag(10)) },
  ]);
  await lab.open("dag.ipynb");

  const cells = lab.page.locator(".jp-Notebook .jp-Cell");
  const savedDag = cells.nth(0).locator("svg.valence-dag");
  await expect(savedDag).toBeVisible();
  await expect(savedDag.locator(".valence-node")).toHaveCount(dataProcessingNodeCount(3));
  await expect(savedDag.locator('.valence-node[data-node-id="4"]')).toHaveClass(/valence-status-failed/);
  await expect(savedDag.locator(".valence-node.valence-status-completed")).toHaveCount(3);
  await expect(savedDag.locator(".valence-edge")).toHaveCount(9);
  await expect(cells.nth(0).locator(".valence-dag-summary")).toHaveText(
    "dataProcessing3/6 done · 1 running · 1 failedFAILED",
  );

  await lab.waitForKernelIdle(KERNEL.spec.display_name);
  await cells.nth(1).locator(".jp-InputArea-editor").click();
  await lab.page.keyboard.press("Shift+Enter");
  const liveDag = cells.nth(1).locator("svg.valence-dag");
  await expect(liveDag.locator(".valence-node")).toHaveCount(dataProcessingNodeCount(10));
  await expect(cells.nth(1).locator(".valence-dag-counts")).toHaveText("20 tasks");
  await lab.page.screenshot({ path: test.info().outputPath("dags.png") });
  await savedDag.screenshot({ path: test.info().outputPath("saved-dag.png") });
  expect(lab.errors).toEqual([]);
});

test("a bundle that breaks the DAG schema shows a readable error, not a blank output", async ({ lab }) => {
  await lab.putNotebook("broken-dag.ipynb", { name: KERNEL.name, display_name: KERNEL.spec.display_name }, [
    { source: "broken.draw()", outputs: [dagOutput(danglingEdgeDag)] },
  ]);
  await lab.open("broken-dag.ipynb");
  const error = lab.page.locator(".jp-Notebook .jp-Cell").first().locator(".valence-error");
  await expect(error).toHaveText("Cannot draw this Valence DAG: edges[0].target: no node has id 7");
  await expect(lab.page.locator("svg.valence-dag")).toHaveCount(0);
  await lab.page.screenshot({ path: test.info().outputPath("broken-dag.png") });
  expect(lab.errors).toEqual([]);
});
