// Dispatches that cannot be resumed safely. A stored dispatch whose graph breaks a rule (stored by an
// older dispatcher that did not check it) is failed with the reason instead of run. A dispatch that was
// being resumed each of the last CRASH_LIMIT times the dispatcher died soon after starting is failed
// too: it is likely what kills it, and resuming it again would stop every other user's work as well.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { DispatchSummary, ServerMessage } from "@valence/schema";
import type { DispatchRecord } from "./store/records";
import type { Store } from "./store/store";

/** Starts in a row that each died (no clean stop) within STABLE_MS while resuming the dispatch. */
export const CRASH_LIMIT = 3;
/** Up this long, the dispatcher is not crash-looping: the counts start over. */
export const STABLE_MS = 60_000;

export interface Quarantined {
  readonly id: string;
  readonly reason: string;
}

/** Stores `record` as FAILED with `reason` (and the update a reconnecting watcher replays). */
export function failStored(store: Store, record: DispatchRecord, reason: string): void {
  const endedAt = Date.now();
  const summary: DispatchSummary = {
    id: record.id,
    latticeName: record.latticeName,
    status: "FAILED",
    createdAt: record.createdAt,
    ...(record.startedAt !== undefined ? { startedAt: record.startedAt } : {}),
    endedAt,
    error: { name: "DispatchQuarantined", message: reason },
    ...(record.volume !== undefined ? { volume: record.volume } : {}),
  };
  const seq = store.lastSeq(record.id) + 1;
  const body: ServerMessage = { type: "update", dispatchId: record.id, seq, dispatch: summary };
  store.transaction((writer) => {
    writer.patchDispatch({ id: record.id, status: "FAILED", endedAt, error: summary.error! });
    writer.events([{ dispatchId: record.id, seq, body }]);
  });
}

/** Counts, per dispatch, the starts in a row that resumed it and then died young (`resumes.json`). */
export class CrashCounts {
  private readonly path: string;
  private timer: NodeJS.Timeout | undefined;

  constructor(dataDir: string) {
    this.path = join(dataDir, "resumes.json");
  }

  /** Counts this start for `ids`; returns those resumed (and lost) CRASH_LIMIT times already. */
  starting(ids: readonly string[]): Set<string> {
    const before = this.read();
    const now: Record<string, number> = {};
    const over = new Set<string>();
    for (const id of ids) {
      const count = (before[id] ?? 0) + 1;
      if (count > CRASH_LIMIT) over.add(id);
      else now[id] = count;
    }
    if (Object.keys(now).length) writeFileSync(this.path, JSON.stringify(now), { mode: 0o600 });
    else this.clear();
    // Up long enough: whatever ends this process later is not a crash loop.
    this.timer = setTimeout(() => this.clear(), STABLE_MS);
    this.timer.unref();
    return over;
  }

  /** A clean stop, or long enough up: nothing is counted against the next start. */
  clear(): void {
    clearTimeout(this.timer);
    rmSync(this.path, { force: true });
  }

  private read(): Record<string, number> {
    try {
      const counts = JSON.parse(readFileSync(this.path, "utf8")) as unknown;
      return typeof counts === "object" && counts !== null ? (counts as Record<string, number>) : {};
    } catch {
      return {};
    }
  }
}
