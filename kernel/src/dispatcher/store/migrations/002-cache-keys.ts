// Migration 2: a content key per completed electron node (hash of its serialized code and inputs),
// so redispatch can reuse unchanged results and `cache: true` can find them across dispatches.
export const sql = `
ALTER TABLE nodes ADD COLUMN cache_key TEXT;
CREATE INDEX nodes_by_cache_key ON nodes (cache_key) WHERE cache_key IS NOT NULL;
`;
