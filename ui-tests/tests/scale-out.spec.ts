// Scale out, seen in the notebook: a 1,000-task fan-out/fan-in whose electrons run on two real
// `valence worker` processes over the suite's Redis (global-setup), drawn live in the cell; the node
// panel says which worker ran a node and how long it queued; a task no worker can take says why.
import { spawn, type ChildProcess } from "node:child_process";

import type { Locator } from "@playwright/test";

import { KERNEL, VALENCE_CLI } from "../kernel-spec.mjs";

import { expect, test, type Lab } from "../support/lab";

const DEFINITIONS = `import * as ct from "valence-workflows";
const square = ct.electron(function square(x: number) { return x * x; });
const sum = ct.electron(function sum(xs: number[]) { return xs.reduce((a, b) => a + b, 0); });
const sumOfSquares = ct.lattice(function sumOfSquares(n: number) {
  return sum(Array.from({ length: n }, (_, i) => square(i)));
}, { executor: "bullmq" });
const render = ct.electron(function render(x: number) { return x; }, { executor: "bullmq", resources: { gpus: 1 } });
const onGpu = ct.lattice(function onGpu(x: number) { return render(x); });
"defined"`;

interface Worker {
  readonly child: ChildProcess;
  pid: number;
  ran: number;
}
const workers: Worker[] = [];

test.beforeAll(async () => {
  for (let i = 0; i < 2; i++) {
    const child = spawn(
      process.execPath,
      [VALENCE_CLI, "worker", "--redis", process.env.VALENCE_REDIS_URL!, "--grace", "1"],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    const worker: Worker = { child, pid: child.pid!, ran: 0 };
    workers.push(worker);
    await new Promise<void>((resolve, reject) => {
      child.once("exit", (code) => reject(new Error(`valence worker exited with ${code}`)));
      child.stdout!.on("data", (chunk: Buffer) => {
        const text = chunk.toString();
        worker.ran += (text.match(/\bok\s+\S/g) ?? []).length;
        if (/ready/.test(text)) resolve();
      });
    });
  }
});

test.afterAll(async () => {
  await Promise.all(
    workers.map(
      ({ child }) =>
        new Promise((resolve) => {
          if (child.exitCode !== null) return resolve(undefined);
          child.once("exit", resolve);
          child.kill("SIGTERM");
        }),
    ),
  );
});

/** Opens a notebook of DEFINITIONS and `dispatch`, runs both cells; returns the dispatch's cell. */
async function dispatchFromCell(lab: Lab, path: string, dispatch: string): Promise<Locator> {
  const kernel = { name: KERNEL.name, display_name: KERNEL.spec.display_name };
  await lab.putNotebook(path, kernel, [{ source: DEFINITIONS }, { source: dispatch }]);
  await lab.open(path);
  await lab.waitForKernelIdle(KERNEL.spec.display_name);
  const cells = lab.page.locator(".jp-Notebook .jp-Cell");
  await cells.nth(0).locator(".jp-InputArea-editor").click();
  await lab.page.keyboard.press("Shift+Enter");
  await expect(cells.nth(0).locator(".jp-OutputArea-output")).toHaveText("'defined'");
  await lab.page.keyboard.press("Shift+Enter");
  return cells.nth(1);
}

test("a 1,000-task fan-out on two BullMQ workers runs live in the cell; the node panel names the worker", async ({
  lab,
}) => {
  const output = await dispatchFromCell(lab, "scale-out.ipynb", "await ct.dispatch(sumOfSquares)(1000)");
  await expect(output.locator(".valence-dag-summary .valence-dag-status")).toHaveText("COMPLETED", {
    timeout: 60_000,
  });
  await expect(output.locator("svg.valence-dag .valence-group .valence-node-label")).toHaveText("square ×1000");
  await output
    .locator("svg.valence-dag .valence-kind-electron", { hasText: "sum" })
    .locator(".valence-node-shape")
    .click();
  const panel = output.locator(".valence-node-panel");
  await expect(panel.locator(".valence-panel-title")).toHaveText("sum");
  const pids = workers.map((worker) => worker.pid).join("|");
  await expect(panel).toContainText(new RegExp(`pid (${pids})\\b`));
  await expect(panel).toContainText(/queued\s*\d+ ms/);
  await output.screenshot({ path: test.info().outputPath("scale-out.png") });
  expect(workers.every((worker) => worker.ran > 0)).toBe(true);
  expect(workers.reduce((total, worker) => total + worker.ran, 0)).toBe(1_001);
  expect(lab.errors).toEqual([]);
});

test("a task that needs a GPU no connected worker has shows why it waits, and can be cancelled", async ({ lab }) => {
  const output = await dispatchFromCell(lab, "gpu.ipynb", "await ct.dispatch(onGpu)(7)");
  const node = output.locator("svg.valence-dag .valence-kind-electron.valence-waiting");
  await expect(node).toHaveCount(1, { timeout: 30_000 });
  await node.locator(".valence-node-shape").click();
  const panel = output.locator(".valence-node-panel");
  await expect(panel).toContainText("Waiting for a worker");
  await expect(panel).toContainText(/no worker with 1 GPU/);
  await output.screenshot({ path: test.info().outputPath("waiting-for-gpu.png") });
  await panel.locator("button", { hasText: "Cancel dispatch" }).click();
  await expect(output.locator(".valence-dag-summary .valence-dag-status")).toHaveText("CANCELLED");
  expect(lab.errors).toEqual([]);
});
