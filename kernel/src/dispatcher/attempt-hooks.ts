// What a task's attempt hands an executor that queues tasks itself (`Executor.lookahead`): `started`,
// and `waiting`, made only when the executor reads it — the local executor never does, so its tasks
// (the dispatcher's hot path) cost no closure for it.
import type { SubmitOptions } from "../executors/executor";

/** Called when the executor holds (reason) or stops holding (undefined) attempt `attempt` of node `id`. */
export type WaitingReport = (id: number, attempt: number, reason: string | undefined) => void;

export class AttemptHooks implements SubmitOptions {
  constructor(
    readonly started: (at: number) => void,
    private readonly report: WaitingReport,
    private readonly id: number,
    private readonly attempt: number,
  ) {}

  get waiting(): (reason: string | undefined) => void {
    return (reason) => this.report(this.id, this.attempt, reason);
  }
}
