// Migration 8, for accepting big dispatches cheaply. A dispatch's nodes as created (kind, name, first
// status) become one compact JSON value (store/node-list.ts) instead of a row each at creation: a
// node's row in `nodes` is written when the node first changes; NULL for dispatches stored before,
// which have a row for every node. And the graph may be stored inside the dispatch request as it
// arrived (`graph_in_request` = 1: `graph` holds the request, the graph is its `graph` member),
// which spares serializing MBs of graph again.
export const sql = `
ALTER TABLE dispatch_specs ADD COLUMN nodes TEXT;
ALTER TABLE dispatch_specs ADD COLUMN graph_in_request INTEGER NOT NULL DEFAULT 0;
`;
