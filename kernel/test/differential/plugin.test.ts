// The differential test of an executor from a package: random lattices (plan.ts) on an executor that
// valence.config.json names by its npm package (the fixture package, installed in the project as a
// user would), loaded through the plugin point and compared with the reference model (model.ts).
// Such an executor has no chains: every task goes through its plain `submit`, with the engine's
// retries, timeouts, cancels and waiting on top. `npm run fuzz -- --executor plugin --runs N` runs a
// long campaign of these alone.
import { test } from "node:test";
import { join } from "node:path";
import { PACKAGE_NAME, makeProject } from "../config/project.ts";
import { useDispatcher } from "../support/dispatcher.ts";
import { campaign, campaignTimeout } from "./campaign.ts";
import { DEFAULT_SHAPE } from "./plan.ts";

const project = makeProject({ executors: { plugin: { type: PACKAGE_NAME, workers: 2 } } });
useDispatcher({ config: join(project, "valence.config.json") });

test(
  "random lattices on a plugin executor (a package named in valence.config.json) agree with the model",
  { timeout: campaignTimeout(5 * 60_000) },
  async (t) => {
    const stats = await campaign("plugin", { runs: 40, parallel: 2, shape: { ...DEFAULT_SHAPE, hooks: true } });
    t.diagnostic(`plugin: ${JSON.stringify(stats)}`);
  },
);
