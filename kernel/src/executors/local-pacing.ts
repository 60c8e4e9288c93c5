// How the local executor paces its workers, from each electron's measured run time: how many short
// tasks go to a worker in one message, and when it waits a moment for a busy worker rather than start
// another. A worker costs memory and tens of milliseconds to start; for short tasks the dispatcher, not the worker,
// is the bottleneck, and a second worker would only compete with it for the machine's cores.
import { MAX_BATCH } from "./local-protocol";

/** Tasks of an electron whose runs average under this are short: batched, and queued for a busy worker. */
const SHORT_MICROS = 1000;
/** A batch holds about this much work (by the electron's average), so it never delays much. */
const BATCH_MICROS = 2000;
/** How long a worker runs an electron not measured yet before another worker is started for it. */
const FIRST_RUN_MS = 20;
/** A busy worker whose current task has run this long is not waited for: it is long after all. */
const OVERDUE_MS = 20;

/** Average run time per electron (spec key), from what workers report. */
export class Speeds {
  private readonly byKey = new Map<string, { micros: number; runs: number }>();

  /** The electron's average run in µs once it has run `runs` times, else undefined. */
  of(key: string, runs = 2): number | undefined {
    const speed = this.byKey.get(key);
    return speed && speed.runs >= runs ? speed.micros : undefined;
  }

  measured(key: string, micros: number): void {
    if (micros <= 0) return;
    const speed = this.byKey.get(key);
    if (!speed) this.byKey.set(key, { micros, runs: 1 });
    else {
      // A run counts at most twice the average: one descheduled or GC-paused run on a busy machine
      // does not make an electron long, while a real change is followed within ~30 runs.
      speed.micros = speed.micros * 0.8 + Math.min(micros, 2 * speed.micros) * 0.2;
      speed.runs++;
    }
  }

  /** How many tasks of `key` may share a worker now (`waiting` for `freeCpus`): 1 unless short. */
  batchSize(key: string, cpus: number, waiting: number, freeCpus: number): number {
    const micros = this.of(key);
    if (cpus !== 1 || micros === undefined || micros >= SHORT_MICROS) return 1;
    // Spread what waits over the free CPUs, so no worker idles while another holds a long batch.
    const share = Math.ceil(waiting / Math.max(1, freeCpus));
    return Math.max(1, Math.min(MAX_BATCH, share, Math.floor(BATCH_MICROS / Math.max(1, micros))));
  }
}

/** A busy worker as pacing sees it. */
export interface Busy {
  readonly limitMB: number;
  /** The electron of its batch's first task. */
  readonly key: string;
  /** When the batch was handed over, and when the worker became ready to run it (performance.now()). */
  readonly sentAt: number;
  readonly readyAt: number | undefined;
  /** How long its current task has run, in ms (0 between tasks). */
  readonly runningFor: number;
}

/**
 * How long to wait, in ms, before starting a new worker for a task of `key` that no idle worker can
 * take: 0 to start one now. A short task waits for a busy worker of its heap limit that will be free
 * soon; a task of an electron not measured yet waits briefly for the first run of the same electron.
 */
export function spawnDelay(key: string, limitMB: number, busy: Iterable<Busy>, speeds: Speeds, now: number): number {
  const micros = speeds.of(key, 1);
  const short = micros !== undefined && micros < SHORT_MICROS;
  let best = 0;
  for (const worker of busy) {
    if (worker.limitMB !== limitMB) continue;
    let wait = 0;
    // A worker still starting runs its batch once ready: check again soon. (A batch that ends
    // drains the queue anyway; these waits only bound how long a worker that is stuck is counted on.)
    if (short) {
      if (worker.readyAt === undefined) wait = FIRST_RUN_MS;
      else if (worker.runningFor < OVERDUE_MS) wait = Math.max(1, OVERDUE_MS - worker.runningFor);
    } else if (micros === undefined && worker.key === key) {
      wait = worker.readyAt === undefined ? FIRST_RUN_MS : Math.max(worker.sentAt, worker.readyAt) + FIRST_RUN_MS - now;
    }
    if (wait > 0) best = best === 0 ? wait : Math.min(best, wait);
  }
  return best;
}
