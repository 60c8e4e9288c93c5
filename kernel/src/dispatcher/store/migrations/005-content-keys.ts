// Migration 5: a completed electron's content key goes to `content_key`, which is not indexed, unless
// the electron has `cache: true` — only those are looked up across dispatches, through the index on
// `cache_key`. An index entry per completed node, at a random place in the index, cost more than the
// rest of the node's write. Redispatch with reuse reads one dispatch's keys at once (Store.contentKeys).
export const sql = `
ALTER TABLE nodes ADD COLUMN content_key TEXT;
`;
