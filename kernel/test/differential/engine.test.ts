// The differential test of the engine on the executors that run in the dispatcher's machine: random
// lattices (plan.ts) on inline and on local worker threads (two, so batches queue, pace and chain),
// each compared with the reference model (model.ts). The local executor counts the chains it is
// given: a campaign that no longer reaches them fails.
import { test } from "node:test";
import assert from "node:assert/strict";
import type * as ct from "valence";
import { InlineExecutor, LocalExecutor } from "../../dist/executors/index.js";
import { useDispatcher } from "../support/dispatcher.ts";
import { campaign, campaignTimeout } from "./campaign.ts";

class CountingLocal extends LocalExecutor {
  chains = 0;
  followUps = 0;
  longest = 0;

  override submitChain(
    task: ct.TaskSpec,
    signal: AbortSignal,
    options: ct.SubmitOptions | undefined,
    followUps: readonly ct.FollowUp[],
  ): Array<Promise<ct.TaskOutcome>> {
    if (followUps.length) this.chains++;
    this.followUps += followUps.length;
    this.longest = Math.max(this.longest, followUps.length + 1);
    return super.submitChain(task, signal, options, followUps);
  }
}

const local = new CountingLocal({ maxWorkers: 2 });
useDispatcher({ executors: { inline: new InlineExecutor(), local } });

test(
  "random lattices on the inline executor agree with the model",
  { timeout: campaignTimeout(15 * 60_000) },
  async (t) => {
    const stats = await campaign("inline", { runs: 200, parallel: 2 });
    t.diagnostic(`inline: ${JSON.stringify(stats)}`);
  },
);

test(
  "random lattices on the local executor agree with the model",
  { timeout: campaignTimeout(15 * 60_000) },
  async (t) => {
    const stats = await campaign("local", { runs: 200, parallel: 2 });
    t.diagnostic(
      `local: ${JSON.stringify(stats)}; ${local.chains} chains, ${local.followUps} follow-ups, longest ${local.longest}`,
    );
    assert.ok(local.chains >= 10, `the campaign reached ${local.chains} chains`);
  },
);
