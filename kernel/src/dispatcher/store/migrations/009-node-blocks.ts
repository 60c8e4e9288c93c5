// Migration 9, for storing completed nodes cheaply: the nodes a commit completes are written as one
// row of `node_blocks` (store/node-blocks.ts) instead of a row each in `nodes` — ids, numbers and
// outputs in binary columns, previews, workers and content keys in one JSON text. A node's row, if
// it has one, is newer than its block entry; blocks are read in write order (`id`).
export const sql = `
CREATE TABLE node_blocks (
  id INTEGER PRIMARY KEY,
  dispatch_id TEXT NOT NULL REFERENCES dispatches (id) ON DELETE CASCADE,
  node_ids BLOB NOT NULL,
  numbers BLOB NOT NULL,
  outputs BLOB NOT NULL,
  texts TEXT NOT NULL
);
CREATE INDEX node_blocks_by_dispatch ON node_blocks (dispatch_id, id);
`;
