// Migration 1: the first layout. Append-only: later changes are new numbered migrations.
export const sql = `
CREATE TABLE dispatches (
  id TEXT PRIMARY KEY,
  lattice_name TEXT NOT NULL,
  status TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  ended_at INTEGER,
  error TEXT,
  parent_id TEXT,
  parent_node INTEGER,
  graph TEXT NOT NULL,
  lattice TEXT NOT NULL,
  inputs BLOB NOT NULL,
  result BLOB
);
CREATE INDEX dispatches_by_created ON dispatches (created_at DESC);
CREATE INDEX dispatches_by_status ON dispatches (status);
CREATE INDEX dispatches_by_parent ON dispatches (parent_id);

CREATE TABLE nodes (
  dispatch_id TEXT NOT NULL REFERENCES dispatches (id) ON DELETE CASCADE,
  node_id INTEGER NOT NULL,
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  started_at INTEGER,
  ended_at INTEGER,
  error TEXT,
  output BLOB,
  output_file TEXT,
  output_preview TEXT,
  reused INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (dispatch_id, node_id)
) WITHOUT ROWID;

CREATE TABLE events (
  dispatch_id TEXT NOT NULL REFERENCES dispatches (id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (dispatch_id, seq)
) WITHOUT ROWID;

CREATE TABLE logs (
  dispatch_id TEXT NOT NULL REFERENCES dispatches (id) ON DELETE CASCADE,
  node_id INTEGER NOT NULL,
  attempt INTEGER NOT NULL,
  stream TEXT NOT NULL,
  text TEXT NOT NULL,
  at INTEGER NOT NULL
);
CREATE INDEX logs_by_node ON logs (dispatch_id, node_id);
`;
