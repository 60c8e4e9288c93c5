// A lock folder shared by threads and processes (on one machine, or several sharing a cache folder):
// made complete in a staging folder, then renamed into place — a rename onto an existing, non-empty
// folder fails, so exactly one taker wins. Its holder touches it while it works; a lock whose holder
// died (same machine) or that nobody touched for a while is broken, so a crash never blocks forever.
import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { processAlive } from "../shared/process-alive";

const OWNER = "owner.json";
const HEARTBEAT_MS = 2_000;
/** Untouched for this long, a lock is abandoned (its holder's thread was terminated, its machine died). */
export const STALE_MS = 20_000;

interface Owner {
  readonly pid: number;
  readonly host: string;
  readonly token: string;
}

export interface Lock {
  release(): Promise<void>;
}

/** Takes the lock at `path`, or returns undefined when someone holds it (breaking it first if stale). */
export async function acquireLock(path: string, retry = true): Promise<Lock | undefined> {
  const owner: Owner = { pid: process.pid, host: hostname(), token: randomBytes(12).toString("hex") };
  const staging = `${path}.${owner.token}`;
  await mkdir(staging, { recursive: true });
  await writeFile(join(staging, OWNER), JSON.stringify(owner));
  try {
    await rename(staging, path);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ENOTEMPTY" && code !== "EEXIST" && code !== "EPERM") throw error;
    // A stale lock broken now can be taken at once.
    return (await breakIfStale(path)) && retry ? acquireLock(path, false) : undefined;
  }
  const heartbeat = setInterval(() => {
    const now = new Date();
    utimes(path, now, now).catch(() => {});
  }, HEARTBEAT_MS);
  heartbeat.unref();
  return {
    async release() {
      clearInterval(heartbeat);
      // Only our own lock: if it was broken as stale meanwhile, the folder is someone else's now.
      if ((await readOwner(path))?.token === owner.token) await rm(path, { recursive: true, force: true });
    },
  };
}

/** Removes the lock if its holder is gone; true if it was removed (by us or another waiter). */
async function breakIfStale(path: string): Promise<boolean> {
  const [info, owner] = await Promise.all([stat(path).catch(() => undefined), readOwner(path)]);
  if (!info) return true;
  const dead = owner !== undefined && owner.host === hostname() && !processAlive(owner.pid);
  if (!dead && Date.now() - info.mtimeMs < STALE_MS) return false;
  const grave = `${path}.stale.${randomBytes(6).toString("hex")}`;
  try {
    await rename(path, grave);
  } catch {
    return true; // someone else broke it first
  }
  // Between our look and the rename, another waiter may have broken it and taken a fresh one: give it back.
  if (owner && (await readOwner(grave))?.token !== owner.token) {
    await rename(grave, path).catch(() => {});
    return false;
  }
  await rm(grave, { recursive: true, force: true });
  return true;
}

async function readOwner(path: string): Promise<Owner | undefined> {
  try {
    return JSON.parse(await readFile(join(path, OWNER), "utf8")) as Owner;
  } catch {
    return undefined;
  }
}
