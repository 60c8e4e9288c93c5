// Migration 10: triggers (dispatcher/triggers.ts) — what dispatches a stored dispatch's lattice again
// (a period, a cron schedule, a directory's changes), kept across restarts until stopped; and, on a
// dispatch a trigger made, which one.
export const sql = `
CREATE TABLE triggers (
  id TEXT PRIMARY KEY,
  dispatch_id TEXT NOT NULL REFERENCES dispatches (id) ON DELETE CASCADE,
  spec TEXT NOT NULL,
  created_at REAL NOT NULL,
  stopped_at REAL,
  fired INTEGER NOT NULL DEFAULT 0,
  last_fired_at REAL,
  last_dispatch_id TEXT,
  last_error TEXT
);
CREATE INDEX triggers_by_dispatch ON triggers (dispatch_id);
ALTER TABLE dispatches ADD COLUMN trigger_id TEXT;
`;
