// Migration 3: the volume a dispatch was given, so resume, redispatch and sublattices keep it.
export const sql = `
ALTER TABLE dispatches ADD COLUMN volume TEXT;
`;
