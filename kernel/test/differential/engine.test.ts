// The differential test of the engine on the executors that run in the dispatcher's machine: random
// lattices (plan.ts) on inline and on local worker threads (two, so batches queue, pace and chain),
// each compared with the reference model (model.ts).
import { test } from "node:test";
import * as ct from "valence";
import { InlineExecutor, LocalExecutor } from "../../dist/executors/index.js";
import { useDispatcher } from "../support/dispatcher.ts";
import { campaign, campaignTimeout } from "./campaign.ts";

useDispatcher({ executors: { inline: new InlineExecutor(), local: new LocalExecutor({ maxWorkers: 2 }) } });

for (const executor of ["inline", "local"]) {
  test(
    `random lattices on the ${executor} executor agree with the model`,
    { timeout: campaignTimeout(15 * 60_000) },
    async (t) => {
      const stats = await campaign(executor, { runs: 200 });
      t.diagnostic(`${executor}: ${JSON.stringify(stats)}`);
    },
  );
}

void ct;
