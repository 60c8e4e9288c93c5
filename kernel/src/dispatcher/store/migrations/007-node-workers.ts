// Migration 7: where a node's last attempt ran, for executors that run tasks on other machines
// (bullmq): the worker as JSON text ({"host", "pid", "id"}) and how long the task waited for one, in
// ms. NULL for nodes whose executor does not say (local, inline) and for rows written before.
export const sql = `
ALTER TABLE nodes ADD COLUMN worker TEXT;
ALTER TABLE nodes ADD COLUMN queued_ms REAL;
`;
