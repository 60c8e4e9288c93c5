// Test support: a job for a PooledWorker that records what the pool reports about it — its outcome
// (a promise) and each start it was told of.
import type { TaskOutcome, TaskSpec } from "#src/executors/index.js";
import { PooledWorker, type Job } from "#src/executors/pooled-worker.js";
import { specKey } from "#src/executors/task-runtime.js";
import type { ElectronSpec } from "#src/workflow/serialize/index.js";

export interface TestJob extends Job {
  readonly outcome: Promise<TaskOutcome>;
  readonly startedAt: number[];
}

/** `inputAt`: a follow-up's argument positions that take the previous job's output. */
export function testJob(task: TaskSpec, inputAt?: number[]): TestJob {
  let resolve!: (outcome: TaskOutcome) => void;
  let reject!: (reason: unknown) => void;
  const outcome = new Promise<TaskOutcome>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  outcome.catch(() => undefined);
  const startedAt: number[] = [];
  return {
    task,
    key: specKey(task.electron),
    spec: task.electron as ElectronSpec,
    inputAt,
    started: (at) => startedAt.push(at),
    resolve: (result) => resolve(result),
    reject,
    outcome,
    startedAt,
  };
}

/** For a worker in a test where none of its tasks is held back: one given back fails with this. */
export function refuseGiveBack(_worker: unknown, held: readonly Job[]): void {
  for (const job of held) job.reject(new Error(`the worker gave back "${job.task.name}" it was held`));
}

/** A worker (256 MB) and what it gives back to run elsewhere once its thread has ended. */
export function workerGivingBack(): { worker: PooledWorker<TestJob>; givenBack: Promise<TestJob[]> } {
  let gaveBack!: (back: TestJob[]) => void;
  const givenBack = new Promise<TestJob[]>((resolve) => (gaveBack = resolve));
  const worker = new PooledWorker<TestJob>(
    256,
    () => undefined,
    (_dead, back) => gaveBack(back),
    refuseGiveBack,
  );
  return { worker, givenBack };
}
