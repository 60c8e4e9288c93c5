// One attempt of a task on an executor, from submit to what came of it: reports the task running when
// it starts (at once, or when an executor that queues tasks says so), enforces its timeout, and turns
// whatever the executor did (an outcome, a rejection, an abort, a follow-up that did not run) into
// one `AttemptEnd` for the dispatch run to act on.
import { NotRun, type SubmitOptions, type TaskOutcome } from "../executors/executor";
import { taskError } from "../executors/task-error";
import { setLongTimeout, type LongTimeout } from "../shared/long-timeout";
import { AttemptHooks, type WaitingReport } from "./attempt-hooks";

export type AttemptEnd =
  /** The task ran (or the executor could not start it): its outcome. */
  | { readonly outcome: TaskOutcome }
  /** The attempt was aborted (cancel, timeout, shutdown): the abort reason. */
  | { readonly aborted: unknown }
  /** A follow-up that did not run: the attempt did not happen. */
  | { readonly notRun: true };

/** What an attempt reports to. */
export interface AttemptHost {
  /** Set when the dispatcher shuts down: nothing more is reported. */
  readonly suspended: boolean;
  /** The task started, at `at` (ms since the epoch). */
  running(id: number, at: number): void;
  timedOut(id: number, controller: AbortController): void;
  readonly waitingFor: WaitingReport;
}

export class TaskAttempt {
  started = false;
  private settled = false;
  private timer: LongTimeout | undefined;

  constructor(
    readonly id: number,
    /** 1 for the first try, 2 for the first retry… */
    readonly number: number,
    readonly controller: AbortController,
    private readonly timeoutMs: number | undefined,
    private readonly host: AttemptHost,
  ) {}

  /** The task started: it is running from now on, and its timeout counts from here. */
  readonly start = (at: number): void => {
    if (this.started || this.settled || this.host.suspended || this.controller.signal.aborted) return;
    this.started = true;
    this.host.running(this.id, at);
    if (this.timeoutMs !== undefined) {
      this.timer = setLongTimeout(() => this.host.timedOut(this.id, this.controller), this.timeoutMs);
    }
  };

  /** What the executor is handed with the task: for one that reports starts, the start and waiting hooks. */
  options(reportsStarts: boolean): SubmitOptions | undefined {
    if (!reportsStarts) {
      this.start(Date.now());
      return undefined;
    }
    return new AttemptHooks(this.start, this.host.waitingFor, this.id, this.number);
  }

  /** How the attempt ended, from what its submit settled with (awaited by the caller: one async frame a task). */
  ended(outcome: TaskOutcome): AttemptEnd {
    this.finish();
    return { outcome };
  }

  /** How the attempt ended, from what its submit rejected with. */
  failed(error: unknown): AttemptEnd {
    this.finish();
    if (this.controller.signal.aborted) return { aborted: this.controller.signal.reason };
    if (error instanceof NotRun) return { notRun: true };
    const now = Date.now();
    return { outcome: { ok: false, error: taskError(error), logs: [], startedAt: now, endedAt: now } };
  }

  private finish(): void {
    this.settled = true;
    this.timer?.clear();
  }
}
