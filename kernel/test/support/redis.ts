// Test support: a real Redis (Debian's redis-server) on a free loopback port, with no persistence and
// a temporary directory — scripts/redis-server.mjs, typed for the kernel tests. `down()` and `up()`
// stop and start it again on the same port (its data is lost), for clients that must survive that.
import { startRedis as start } from "../../../scripts/redis-server.mjs";

export interface RunningRedis {
  readonly url: string;
  readonly port: number;
  down(): Promise<void>;
  up(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts a Redis server for the calling test (requiring `password` if given); stop it in `after`. */
export function startRedis(options: { password?: string; args?: string[] } = {}): Promise<RunningRedis> {
  return start(options);
}
