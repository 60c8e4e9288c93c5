// The differential test of runLocal: random lattices (plan.ts) run in this process with
// `ct.runLocal(lattice)(...)`, as users try a workflow before dispatching it, each compared with the
// reference model (model.ts) by run-local.ts: the value it returns or the error it rejects with, the
// node updates and run events it reports, and the side effects of every attempt. Plans of every shape
// the dispatched campaigns try (sublattices, stalls, big plans); no cancels (runLocal has none).
// `npm run fuzz -- --executor runLocal --runs N [--seed S]` runs a long campaign of these alone.
import { test } from "node:test";
import { campaign, campaignTimeout } from "./campaign.ts";
import { runLocalAndCompare } from "./run-local.ts";

test("random lattices through runLocal agree with the model", { timeout: campaignTimeout(5 * 60_000) }, async (t) => {
  const stats = await campaign("runLocal", { runs: 70, parallel: 2, runner: runLocalAndCompare });
  t.diagnostic(`runLocal: ${JSON.stringify(stats)}`);
});
