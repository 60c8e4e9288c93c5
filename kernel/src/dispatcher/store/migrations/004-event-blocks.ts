// Migration 4: events are stored in blocks — one row per dispatch per commit of the write queue, the
// bodies as one JSON array — instead of one row each, so a task's two or three updates cost a small
// part of one INSERT. Rows an older version wrote to `events` stay there and are still read.
export const sql = `
CREATE TABLE event_blocks (
  dispatch_id TEXT NOT NULL REFERENCES dispatches (id) ON DELETE CASCADE,
  first_seq INTEGER NOT NULL,
  last_seq INTEGER NOT NULL,
  bodies TEXT NOT NULL,
  PRIMARY KEY (dispatch_id, last_seq)
) WITHOUT ROWID;
`;
