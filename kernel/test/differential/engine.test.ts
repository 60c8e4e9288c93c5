// The differential test of the engine on the executors that run in the dispatcher's machine: random
// lattices (plan.ts) on inline and on local worker threads (two, so batches queue, pace and chain),
// each compared with the reference model (model.ts). The local executor counts the chains it is
// given: a campaign that no longer reaches them fails. Both campaigns also try deps.npm (a local
// package, offline: npm-cache.ts), hooks and tasks asking for more CPUs than there are; on local,
// tasks asking for both CPUs (the executor must never run anything beside them: each task's own start
// and end, as its worker reported them, show it) and attempts that end their worker.
import { test } from "node:test";
import assert from "node:assert/strict";
import type * as ct from "valence-workflows";
import { InlineExecutor, LocalExecutor } from "#src/executors/index.js";
import { useDispatcher } from "../support/dispatcher.ts";
import { campaign, campaignTimeout } from "./campaign.ts";
import { useNpmCache } from "./npm-cache.ts";
import { DEFAULT_SHAPE, type PlanShape } from "./plan.ts";

/** When each task ran on the local executor (its outcome's times) and how many CPUs it held. */
interface Ran {
  readonly cpus: number;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly name: string;
}

class CountingLocal extends LocalExecutor {
  chains = 0;
  followUps = 0;
  longest = 0;
  readonly ran: Ran[] = [];

  override submit(task: ct.TaskSpec, signal: AbortSignal, options?: ct.SubmitOptions): Promise<ct.TaskOutcome> {
    return this.noted(task, super.submit(task, signal, options));
  }

  override submitChain(
    task: ct.TaskSpec,
    signal: AbortSignal,
    options: ct.SubmitOptions | undefined,
    followUps: readonly ct.FollowUp[],
  ): Array<Promise<ct.TaskOutcome>> {
    if (followUps.length) this.chains++;
    this.followUps += followUps.length;
    this.longest = Math.max(this.longest, followUps.length + 1);
    const outcomes = super.submitChain(task, signal, options, followUps);
    return outcomes.map((outcome, i) => this.noted(i ? followUps[i - 1]!.task : task, outcome));
  }

  private noted(task: ct.TaskSpec, outcome: Promise<ct.TaskOutcome>): Promise<ct.TaskOutcome> {
    void outcome.then(
      ({ startedAt, endedAt }) =>
        this.ran.push({ cpus: task.resources.cpus, startedAt, endedAt, name: `${task.dispatchId}/${task.nodeId}` }),
      () => undefined,
    );
    return outcome;
  }

  /** The first moment more CPUs ran than the executor has, if any (a task's end frees its CPUs for one starting then). */
  overcommitted(): string | undefined {
    // A run that started and ended in the same millisecond held no CPU between two others' events.
    const events = this.ran
      .filter((r) => r.endedAt > r.startedAt)
      .flatMap((r) => [
        { at: r.startedAt, cpus: r.cpus, r },
        { at: r.endedAt, cpus: -r.cpus, r },
      ]);
    events.sort((a, b) => a.at - b.at || a.cpus - b.cpus);
    let busy = 0;
    const running = new Set<Ran>();
    for (const event of events) {
      busy += event.cpus;
      if (event.cpus > 0) running.add(event.r);
      else running.delete(event.r);
      if (busy > this.capacity.cpus) {
        const who = [...running].map((r) => `${r.name} (${r.cpus} CPUs, ${r.startedAt}–${r.endedAt})`);
        return `${busy} CPUs busy at ${event.at}: ${who.join(", ")}`;
      }
    }
    return undefined;
  }
}

useNpmCache();

const local = new CountingLocal({ maxWorkers: 2 });
useDispatcher({ executors: { inline: new InlineExecutor(), local } });

test(
  "random lattices on the inline executor agree with the model",
  { timeout: campaignTimeout(15 * 60_000) },
  async (t) => {
    const shape: PlanShape = { ...DEFAULT_SHAPE, deps: true, hooks: true, greedy: true };
    const stats = await campaign("inline", { runs: 120, parallel: 2, shape });
    t.diagnostic(`inline: ${JSON.stringify(stats)}`);
  },
);

test(
  "random lattices on the local executor agree with the model",
  { timeout: campaignTimeout(15 * 60_000) },
  async (t) => {
    const shape: PlanShape = { ...DEFAULT_SHAPE, deps: true, hooks: true, greedy: true, wide: true, exits: true };
    const stats = await campaign("local", { runs: 110, parallel: 2, shape });
    t.diagnostic(
      `local: ${JSON.stringify(stats)}; ${local.chains} chains, ${local.followUps} follow-ups, longest ${local.longest}`,
    );
    assert.ok(local.chains >= 10, `the campaign reached ${local.chains} chains`);
    const wide = local.ran.filter((r) => r.cpus === 2).length;
    t.diagnostic(`local: ${local.ran.length} task runs timed, ${wide} of them with 2 CPUs`);
    assert.equal(local.overcommitted(), undefined, "the local executor ran more CPUs than it has");
  },
);
