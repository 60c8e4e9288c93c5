// The triggers' rows (migration 010): what each one dispatches again and how, kept until stopped,
// and what it did last. A dispatch's triggers go with it when it is deleted (ON DELETE CASCADE).
import type { Database as DB } from "better-sqlite3";
import type { TriggerRecord, TriggerSpec } from "@valence/schema";

interface TriggerRow {
  id: string;
  dispatch_id: string;
  spec: string;
  created_at: number;
  stopped_at: number | null;
  fired: number;
  last_fired_at: number | null;
  last_dispatch_id: string | null;
  last_error: string | null;
}

const COLUMNS = "id, dispatch_id, spec, created_at, stopped_at, fired, last_fired_at, last_dispatch_id, last_error";

function record(row: TriggerRow): TriggerRecord {
  return {
    id: row.id,
    dispatchId: row.dispatch_id,
    trigger: JSON.parse(row.spec) as TriggerSpec,
    createdAt: row.created_at,
    fired: row.fired,
    ...(row.stopped_at !== null ? { stoppedAt: row.stopped_at } : {}),
    ...(row.last_fired_at !== null ? { lastFiredAt: row.last_fired_at } : {}),
    ...(row.last_dispatch_id !== null ? { lastDispatchId: row.last_dispatch_id } : {}),
    ...(row.last_error !== null ? { lastError: row.last_error } : {}),
  };
}

export class TriggerTable {
  private readonly st;

  constructor(db: DB) {
    const s = <Row = unknown>(sql: string) => db.prepare<unknown[], Row>(sql);
    this.st = {
      insert: s(`INSERT INTO triggers (id, dispatch_id, spec, created_at) VALUES (?, ?, ?, ?)`),
      get: s<TriggerRow>(`SELECT ${COLUMNS} FROM triggers WHERE id = ?`),
      all: s<TriggerRow>(`SELECT ${COLUMNS} FROM triggers ORDER BY created_at, rowid`),
      running: s<TriggerRow>(`SELECT ${COLUMNS} FROM triggers WHERE stopped_at IS NULL ORDER BY created_at, rowid`),
      stop: s(
        `UPDATE triggers SET stopped_at = ?, last_error = coalesce(?, last_error) WHERE id = ? AND stopped_at IS NULL`,
      ),
      fired: s(
        `UPDATE triggers SET fired = fired + 1, last_fired_at = ?, last_dispatch_id = ?, last_error = NULL WHERE id = ?`,
      ),
      failed: s(`UPDATE triggers SET last_fired_at = ?, last_error = ? WHERE id = ?`),
    };
  }

  add(id: string, dispatchId: string, trigger: TriggerSpec, createdAt: number): void {
    this.st.insert.run(id, dispatchId, JSON.stringify(trigger), createdAt);
  }

  get(id: string): TriggerRecord | undefined {
    const row = this.st.get.get(id);
    return row ? record(row) : undefined;
  }

  /** The running ones (with `all`, the stopped ones too), oldest first. */
  list(options: { readonly all?: boolean; readonly dispatchId?: string } = {}): TriggerRecord[] {
    const rows = (options.all ? this.st.all : this.st.running).all().map(record);
    return options.dispatchId === undefined ? rows : rows.filter((t) => t.dispatchId === options.dispatchId);
  }

  /** Stops it (`why`: when it stopped by itself); false when it was stopped already. */
  stop(id: string, at: number, why?: string): boolean {
    return this.st.stop.run(at, why ?? null, id).changes === 1;
  }

  fired(id: string, at: number, dispatchId: string): void {
    this.st.fired.run(at, dispatchId, id);
  }

  failed(id: string, at: number, error: string): void {
    this.st.failed.run(at, error, id);
  }
}
