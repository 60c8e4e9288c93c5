// A notebook with the test kernel: started from the launcher, ready, and running TypeScript.
import { KERNEL } from "../kernel-spec.mjs";
import { expect, test } from "../support/lab";

test("a notebook started from the launcher runs a TypeScript cell once its kernel is ready", async ({ lab }) => {
  await lab.open();
  await lab.page.locator('.jp-LauncherCard[data-category="Notebook"]', { hasText: KERNEL.spec.display_name }).click();
  await lab.waitForKernelIdle(KERNEL.spec.display_name);

  await lab.runCellWith("1 + 1");
  const output = lab.page.locator(".jp-Notebook .jp-Cell").first().locator(".jp-OutputArea-output");
  await expect(output).toHaveText("2");
  await lab.waitForKernelIdle(KERNEL.spec.display_name);
  await lab.page.screenshot({ path: test.info().outputPath("cell-output.png") });
  expect(lab.errors).toEqual([]);
});
