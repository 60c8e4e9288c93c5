// Migration 6: a dispatch's graph, lattice and inputs — MBs for a big dispatch, written once — move
// out of its `dispatches` row, which changes several times (status, times, result): SQLite rewrites
// a whole row to update one column, so every status change copied the graph (twice 13 MB of memory
// and of WAL for a 100,000-node dispatch).
export const sql = `
CREATE TABLE dispatch_specs (
  id TEXT PRIMARY KEY REFERENCES dispatches (id) ON DELETE CASCADE,
  graph TEXT NOT NULL,
  lattice TEXT NOT NULL,
  inputs BLOB NOT NULL
);
INSERT INTO dispatch_specs (id, graph, lattice, inputs) SELECT id, graph, lattice, inputs FROM dispatches;
ALTER TABLE dispatches DROP COLUMN graph;
ALTER TABLE dispatches DROP COLUMN lattice;
ALTER TABLE dispatches DROP COLUMN inputs;
`;
