// One submitted task inside the BullMQ executor, and the states it goes through: routing (which
// queue, is any worker able to run it), waiting (held here until one is), adding (job being
// written), queued (in Redis), cancelling, finishing (result being fetched), settled.
import type { TaskOutcome, TaskSpec } from "../executor";
import { refsOf } from "./payload";
import { checkJobResult } from "./protocol";
import type { Needs } from "./routing";

export type State = "routing" | "waiting" | "adding" | "queued" | "cancelling" | "finishing" | "settled";

/** A task waiting for a worker that can run it (or for Redis), and why. */
export interface WaitingTask {
  readonly dispatchId: string;
  readonly nodeId: number;
  readonly name: string;
  readonly reason: string;
}

export class Entry {
  state: State = "routing";
  /** Why it waits, while `waiting`. */
  reason = "";
  /** Told why it waits, and when it no longer does (`SubmitOptions.waiting`). */
  onWaiting: ((reason: string | undefined) => void) | undefined;
  cancel: { reason: unknown } | undefined;
  /** Payload keys of its inputs, deleted once it settles. */
  inputRefs: string[] = [];
  /** When the executor saw the job become active (taken by a worker, or started there). */
  activeAt: number | undefined;
  /** Its start was reported (`onStart`): the worker said the task's own code runs. */
  started = false;
  /** When an event about its job (or a look-up) was last seen. */
  heardAt = Date.now();
  readonly submittedAt = Date.now();
  cancelTimer: NodeJS.Timeout | undefined;
  unlisten: () => void = () => undefined;

  constructor(
    readonly task: TaskSpec,
    readonly jobId: string,
    readonly queue: string,
    readonly needs: Needs,
    readonly onStart: ((at: number) => void) | undefined,
    readonly resolve: (outcome: TaskOutcome) => void,
    readonly reject: (reason: unknown) => void,
  ) {}
}

/** Payload keys a (possibly foreign) job result refers to. */
export function resultRefs(value: unknown): string[] {
  const result = checkJobResult(value);
  if (!result) return [];
  return "result" in result ? refsOf(result.result) : result.ok ? refsOf(result.output) : [];
}

/** The promise, or a rejection after `ms` when Redis does not answer in time. */
export function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from Redis within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
