// One task submitted to the local executor (local.ts): it waits in the executor's queue, then runs as
// a job of a worker's batch (pooled-worker.ts); it reports its start and its outcome to the submit,
// and its run time to the executor's pacing (local-pacing.ts).
import type { ElectronSpec } from "../workflow/serialize";
import type { TaskOutcome, TaskSpec } from "./executor";
import type { Speeds } from "./local-pacing";
import type { Job, PooledWorker } from "./pooled-worker";

const NOTHING = (): void => undefined;

/** One submit: waiting here, then a job of a worker's batch. */
export class Entry implements Job {
  unlisten: () => void = NOTHING;
  /** Where it runs, once handed to a worker, and its control slot there: abort goes there. */
  worker: PooledWorker<Entry> | undefined;
  index = 0;
  /** A chain's first task: how many follow-ups wait right behind it (they start in its batch). */
  links = 0;

  constructor(
    readonly task: TaskSpec,
    /** A follow-up: the argument positions that take the previous task's output. */
    readonly inputAt: readonly number[] | undefined,
    readonly key: string,
    readonly cpus: number,
    readonly memoryMB: number,
    private readonly speeds: Speeds,
    private readonly onStart: ((at: number) => void) | undefined,
    private readonly settleResolve: (outcome: TaskOutcome) => void,
    private readonly settleReject: (reason: unknown) => void,
  ) {}

  get spec(): ElectronSpec {
    return this.task.electron as ElectronSpec;
  }

  started(at: number): void {
    this.onStart?.(at);
  }

  resolve(outcome: TaskOutcome, micros: number): void {
    this.unlisten();
    this.speeds.measured(this.key, micros);
    this.settleResolve(outcome);
  }

  reject(reason: unknown): void {
    this.unlisten();
    this.settleReject(reason);
  }
}
