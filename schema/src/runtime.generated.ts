/* Generated from the JSON Schema beside it by `npm run schema:generate`. Do not edit. */

/**
 * dispatcher.json in the data directory: where the running dispatcher listens and the token it wants. The dispatcher writes it (mode 0600) and removes it on a clean stop; clients and `valence status` read it, and treat a file that does not match as no dispatcher. Keys it does not name are allowed, for a newer dispatcher's additions.
 */
export interface RuntimeFile {
  /**
   * The dispatcher's base URL.
   */
  url: string;
  /**
   * The write credential: clients send it as `Authorization: Bearer`.
   */
  token: string;
  /**
   * The dispatcher's process id.
   */
  pid: number;
  /**
   * Milliseconds since the epoch.
   */
  startedAt: number;
  /**
   * The data directory it serves.
   */
  dataDir: string;
}
