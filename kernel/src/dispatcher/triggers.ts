// Triggers: each dispatches a stored dispatch's lattice again, with its inputs, when it fires — on a
// period or a cron schedule (cron-parser), or when files under a directory change (chokidar), once
// they have been quiet for a while. The dispatcher owns them: they live in its store and start again
// with it, until stopped. A firing that makes no dispatch is recorded on the trigger; one whose
// dispatch was deleted stops the trigger.
import { randomUUID } from "node:crypto";
import { statSync } from "node:fs";
import { watch } from "chokidar";
import { CronExpressionParser } from "cron-parser";
import type { TriggerRecord, TriggerSpec } from "@valence/schema";
import { setLongTimeout, type LongTimeout } from "../shared/long-timeout";
import type { Store } from "./store/store";
import { DispatchRejected } from "./validate-dispatch";

/** No trigger with that id: servers answer 404. */
export class UnknownTrigger extends Error {
  override readonly name = "UnknownTrigger";
  constructor(readonly triggerId: string) {
    super(`no trigger with id "${triggerId}"`);
  }
}

/** What a directory trigger waits for, by default, after the last change before it fires. */
const DEBOUNCE_MS = 500;

/** Why `trigger` cannot run on this machine, as a sentence; undefined when it can. */
export function triggerProblem(trigger: TriggerSpec): string | undefined {
  if (trigger.kind === "time" && "cron" in trigger) {
    try {
      CronExpressionParser.parse(trigger.cron);
    } catch (error) {
      return `timeTrigger cron "${trigger.cron}": ${(error as Error).message}`;
    }
  }
  if (trigger.kind === "dir") {
    let directory = false;
    try {
      directory = statSync(trigger.path).isDirectory();
    } catch {
      // missing: said below
    }
    if (!directory) return `dirTrigger: ${trigger.path} is not a directory on the dispatcher's machine`;
  }
  return undefined;
}

export class Triggers {
  /** How to stop each running trigger's timer or watcher, by id. */
  private readonly live = new Map<string, () => void>();
  /** The dispatcher is closing: its store may be closed before a firing in flight ends. */
  private closed = false;

  /** @param redispatch dispatches `dispatchId` again for trigger `triggerId`; returns the new dispatch's id. */
  constructor(
    private readonly store: Store,
    private readonly redispatch: (dispatchId: string, triggerId: string) => Promise<string>,
  ) {}

  /** Starts the triggers the store keeps running (at the dispatcher's start). */
  resume(): void {
    for (const trigger of this.store.triggers.list()) {
      const problem = triggerProblem(trigger.trigger);
      if (problem) this.store.triggers.stop(trigger.id, Date.now(), `not restarted: ${problem}`);
      else this.start(trigger);
    }
  }

  /** Adds `specs` to the dispatch and starts them (check them first with `triggerProblem`). */
  add(dispatchId: string, specs: readonly TriggerSpec[]): string[] {
    return specs.map((spec) => {
      const problem = triggerProblem(spec);
      if (problem) throw new DispatchRejected(problem);
      const id = randomUUID();
      this.store.triggers.add(id, dispatchId, spec, Date.now());
      this.start(this.store.triggers.get(id)!);
      return id;
    });
  }

  list(options: { readonly all?: boolean; readonly dispatchId?: string } = {}): TriggerRecord[] {
    return this.store.triggers.list(options);
  }

  /** Stops a trigger for good; stopping a stopped one changes nothing. */
  stop(id: string): TriggerRecord {
    if (!this.store.triggers.get(id)) throw new UnknownTrigger(id);
    this.live.get(id)?.();
    this.live.delete(id);
    this.store.triggers.stop(id, Date.now());
    return this.store.triggers.get(id)!;
  }

  /** Stops every timer and watcher; the triggers stay running in the store, for the next start. */
  close(): void {
    this.closed = true;
    for (const stop of this.live.values()) stop();
    this.live.clear();
  }

  private start(trigger: TriggerRecord): void {
    const fire = (): void => void this.fire(trigger.id, trigger.dispatchId);
    const spec = trigger.trigger;
    if (spec.kind === "dir") {
      const events = new Set<string>(spec.events ?? ["add", "change", "unlink"]);
      let quiet: NodeJS.Timeout | undefined;
      const watcher = watch(spec.path, { ignoreInitial: true });
      watcher.on("all", (event) => {
        if (!events.has(event)) return;
        clearTimeout(quiet);
        quiet = setTimeout(fire, spec.debounceMs ?? DEBOUNCE_MS);
      });
      watcher.on("error", (error) => this.store.triggers.failed(trigger.id, Date.now(), String(error)));
      this.live.set(trigger.id, () => {
        clearTimeout(quiet);
        void watcher.close();
      });
      return;
    }
    let timer: LongTimeout | undefined;
    const next = (): number =>
      "cron" in spec ? CronExpressionParser.parse(spec.cron).next().getTime() - Date.now() : spec.everyMs;
    const arm = (): void => {
      timer = setLongTimeout(
        () => {
          arm();
          fire();
        },
        Math.max(0, next()),
      );
    };
    arm();
    this.live.set(trigger.id, () => timer?.clear());
  }

  private async fire(id: string, dispatchId: string): Promise<void> {
    if (!this.live.has(id)) return;
    const at = Date.now();
    let made: string;
    try {
      made = await this.redispatch(dispatchId, id);
    } catch (error) {
      if (this.closed) return;
      if (!this.store.getDispatch(dispatchId)) {
        // Its dispatch was deleted (its row with it): nothing is left to dispatch again.
        this.live.get(id)?.();
        this.live.delete(id);
        return;
      }
      this.store.triggers.failed(id, at, (error as Error).message);
      return;
    }
    // Recorded even if it was stopped meanwhile: the dispatch it made exists.
    if (!this.closed) this.store.triggers.fired(id, at, made);
  }
}
