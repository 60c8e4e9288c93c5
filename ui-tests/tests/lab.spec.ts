// The host itself: JupyterLab 4.6 built from npm, served by Debian's Jupyter server.
import { KERNEL } from "../kernel-spec.mjs";
import { expect, test } from "../support/lab";

test("JupyterLab loads without console errors and its launcher offers the test kernel", async ({ lab }) => {
  await lab.open();
  const notebookCard = lab.page.locator('.jp-LauncherCard[data-category="Notebook"]', {
    hasText: KERNEL.spec.display_name,
  });
  await expect(notebookCard).toBeVisible();
  // Let late plugin activations and settings requests finish before judging the console.
  await lab.page.waitForLoadState("networkidle");
  expect(lab.errors).toEqual([]);
  await lab.page.screenshot({ path: test.info().outputPath("launcher.png") });
});
