// The example notebooks run headlessly through Jupyter's nbclient with the Valence kernel and a real
// dispatcher, as `jupyter nbconvert --execute` would; their outputs carry valid DAG bundles and SVGs.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { temporaryDir, useDispatcher } from "../support/dispatcher.js";
import { validateDag } from "../support/schema.js";

useDispatcher();
const examples = join(import.meta.dirname, "..", "..", "..", "examples");
const dataDir = temporaryDir("valence-jupyter-");

before(() => {
  const cli = join(import.meta.dirname, "..", "..", "dist", "cli", "main.js");
  const installed = spawnSync(process.execPath, [cli, "install", "--data-dir", dataDir, "--no-extension"]);
  assert.equal(installed.status, 0, String(installed.stderr));
});

interface Output {
  output_type: string;
  data?: Record<string, unknown>;
  text?: string;
  ename?: string;
}
interface Notebook {
  cells: Array<{ cell_type: string; source: string; outputs?: Output[] }>;
}

async function execute(name: string): Promise<Notebook> {
  const out = join(temporaryDir("valence-nb-"), name);
  // Not spawnSync: the dispatcher the notebook dispatches to runs in this process and must keep answering.
  const child = spawn("/usr/bin/python3", [join(import.meta.dirname, "run_notebook.py"), join(examples, name), out], {
    cwd: examples,
    env: { ...process.env, JUPYTER_PATH: dataDir, PYDEVD_DISABLE_FILE_VALIDATION: "1" },
    stdio: ["ignore", "inherit", "pipe"],
    timeout: 240_000,
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const status = await new Promise<number | null>((resolve) => child.on("close", resolve));
  assert.equal(status, 0, `${name} failed:\n${stderr}`);
  return JSON.parse(readFileSync(out, "utf8")) as Notebook;
}

/** nbformat may store a string as a list of lines. */
const text = (value: unknown): string => (Array.isArray(value) ? value.join("") : String(value ?? ""));
const outputs = (notebook: Notebook): Output[] => notebook.cells.flatMap((cell) => cell.outputs ?? []);
const dags = (notebook: Notebook) =>
  outputs(notebook)
    .map(
      (o) =>
        o.data?.["application/vnd.valence.dag+json"] as
          { nodes: Array<{ status?: string }>; dispatch?: { status: string } } | undefined,
    )
    .filter((d) => d !== undefined);

function assertDrawn(notebook: Notebook): void {
  const drawn = outputs(notebook).filter((o) => o.data?.["application/vnd.valence.dag+json"]);
  assert.ok(drawn.length >= 2, "a drawn lattice and a dispatch or result");
  for (const output of drawn) {
    validateDag(output.data!["application/vnd.valence.dag+json"]);
    assert.match(text(output.data!["image/svg+xml"]), /^<svg[\s\S]*<\/svg>\s*$/);
  }
  assert.ok(!outputs(notebook).some((o) => o.output_type === "error"), "no cell raised");
}

test("every example notebook is listed here", () => {
  assert.deepEqual(
    readdirSync(examples)
      .filter((f) => f.endsWith(".ipynb"))
      .sort(),
    // scale-out.ipynb needs Redis and workers: it runs in kernel/test/bullmq/examples.test.ts.
    [
      "data-processing.ipynb",
      "dynamic-workflow.ipynb",
      "failing-electron.ipynb",
      "fan-out-fan-in.ipynb",
      "scale-out.ipynb",
    ],
  );
});

test("data-processing.ipynb: the seed workflow, dispatched, its saved output showing the final state", async () => {
  const notebook = await execute("data-processing.ipynb");
  assertDrawn(notebook);
  const dispatched = dags(notebook).filter((d) => d.dispatch);
  assert.ok(dispatched.length >= 2);
  // The dispatch cell's own output was updated in place to the final statuses.
  assert.ok(
    dispatched.every((d) => d.dispatch!.status === "COMPLETED"),
    JSON.stringify(dispatched.map((d) => d.dispatch)),
  );
  const values = outputs(notebook).find((o) => /^\[\s*\d+/.test(text(o.data?.["text/plain"])));
  assert.ok(values, "the result's values are shown");
});

test("fan-out-fan-in.ipynb: every chunk runs and the total is right", async () => {
  const notebook = await execute("fan-out-fan-in.ipynb");
  assertDrawn(notebook);
  assert.equal(text(notebook.cells.at(-1)!.outputs![0]!.data!["text/plain"]), "true");
});

test("failing-electron.ipynb: the failure is shown with its message; independent branches completed", async () => {
  const notebook = await execute("failing-electron.ipynb");
  assertDrawn(notebook);
  const final = dags(notebook).find((d) => d.dispatch?.status === "FAILED");
  assert.ok(final, "the result's DAG shows the failed dispatch");
  const statuses = final.nodes.map((n) => n.status);
  assert.ok(statuses.includes("COMPLETED") && statuses.includes("FAILED"));
  assert.match(text(notebook.cells.at(-1)!.outputs![0]!.data!["text/plain"]), /not a number: "two"/);
});

test("dynamic-workflow.ipynb: a sublattice whose loop length an earlier electron computed", async () => {
  const notebook = await execute("dynamic-workflow.ipynb");
  assertDrawn(notebook);
  assert.equal(text(notebook.cells.at(-1)!.outputs![0]!.data!["text/plain"]), "[ 0, 1, 4, 9 ]");
});
