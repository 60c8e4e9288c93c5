// The extension's settings (extension/schema/plugin.json) through JupyterLab's settings service: the
// server knows the schema and its defaults, and saved user settings change how DAGs are drawn.
import { dataProcessingDag } from "../fixtures/dags";
import { KERNEL } from "../kernel-spec.mjs";
import { expect, test } from "../support/lab";

const PLUGIN = "@valence/jupyterlab-extension:plugin";

test("settings: top-down layout and hidden helper nodes apply to DAGs drawn after a reload", async ({ lab }) => {
  const headers = { Authorization: `token ${lab.token}` };
  const url = `${lab.baseUrl}lab/api/settings/${PLUGIN}`;
  const stored = (await (await lab.page.request.get(url, { headers })).json()) as {
    schema: { properties: Record<string, { default: unknown }> };
  };
  expect(stored.schema.properties.direction?.default).toBe("LR");
  expect(stored.schema.properties.collapseThreshold?.default).toBe(50);

  const put = (raw: object) => lab.page.request.put(url, { headers, data: { raw: JSON.stringify(raw) } });
  expect((await put({ direction: "TB", hideHelperNodes: true })).status()).toBe(204);
  try {
    await lab.putNotebook("settings.ipynb", { name: KERNEL.name, display_name: KERNEL.spec.display_name }, [
      {
        source: "shown",
        outputs: [
          {
            output_type: "display_data",
            data: { "application/vnd.valence.dag+json": dataProcessingDag(3), "text/plain": ["DAG"] },
            metadata: {},
          },
        ],
      },
    ]);
    await lab.open("settings.ipynb");
    const dag = lab.page.locator(".jp-Notebook .jp-Cell").first().locator("svg.valence-dag");
    // Helpers hidden: the offset parameter and the results list are gone, the three pipelines stay.
    await expect(dag.locator(".valence-node")).toHaveCount(6);
    await expect(dag.locator(".valence-kind-parameter, .valence-kind-list")).toHaveCount(0);
    // Top-down: every prepareData sits above its processData.
    const top = async (id: number) =>
      (await dag.locator(`.valence-node[data-node-id="${id}"] .valence-node-shape`).boundingBox())!.y;
    for (const i of [0, 1, 2]) expect(await top(2 * i)).toBeLessThan(await top(2 * i + 1));
    await lab.page.screenshot({ path: test.info().outputPath("top-down.png") });
  } finally {
    await put({});
  }
  expect(lab.errors).toEqual([]);
});
