// A folder of the cache directory that a task needs made once per machine (an npm environment, the
// commands of deps.bash), shared by every thread and process there: the first to need it makes it
// under a lock (npm-lock.ts), from scratch, and marks it ready last; the others wait for it, or get
// the error it failed with (written beside it) rather than trying again at once. The next task that
// needs a folder whose making failed tries again.
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { acquireLock, type Lock } from "./npm-lock";

/** Written last: a folder without it is half-made and is made again. */
export const READY = ".valence-ready";
const POLL_MS = 100;

export interface Preparation {
  /** The folder (one per set of what is prepared: its name is a hash of it). */
  readonly dir: string;
  /** What is made, for messages: "npm packages a b", "the deps.bash commands of …". */
  readonly what: string;
  /** The name of the errors it fails with (NpmInstallError, BashDepsError). */
  readonly errorName: string;
  /** Makes the folder's content; `dir` exists and is empty. Throws what the task should fail with. */
  make(dir: string): Promise<void>;
  /** What is written in the ready marker (JSON). */
  readonly marker: Record<string, unknown>;
}

/** Folders being made by this thread: concurrent tasks wait for one making. */
const preparing = new Map<string, Promise<void>>();

/** Resolves once `p.dir` is ready, making it first if no thread or process has (or waiting for one that is). */
export async function preparedOnce(p: Preparation): Promise<void> {
  if (existsSync(join(p.dir, READY))) return;
  let pending = preparing.get(p.dir);
  if (!pending) {
    pending = prepare(p).finally(() => preparing.delete(p.dir));
    preparing.set(p.dir, pending);
  }
  await pending;
}

async function prepare(p: Preparation): Promise<void> {
  await mkdir(dirname(p.dir), { recursive: true });
  const since = Date.now();
  let announced = false;
  for (;;) {
    let lock: Lock | undefined;
    try {
      lock = await acquireLock(`${p.dir}.lock`);
    } catch (error) {
      throw cacheProblem(p, error);
    }
    if (lock) {
      try {
        // Another one may have finished between our check and the lock.
        if (!existsSync(join(p.dir, READY))) await makeReady(p);
      } finally {
        await lock.release();
      }
      return;
    }
    if (!announced) {
      process.stderr.write(`valence: waiting for another thread or process preparing ${p.what} in ${p.dir}\n`);
      announced = true;
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
    if (existsSync(join(p.dir, READY))) return;
    // The making we waited for failed: report its error rather than make it again at once.
    const failure = await readFailure(p.dir, since);
    if (failure) throw failure;
  }
}

async function makeReady(p: Preparation): Promise<void> {
  const started = Date.now();
  process.stderr.write(`valence: preparing ${p.what} in ${p.dir} (once for this set)\n`);
  try {
    // Whatever a crashed or failed making left behind goes: the folder is made from scratch.
    await rm(p.dir, { recursive: true, force: true });
    await mkdir(p.dir, { recursive: true });
  } catch (error) {
    throw cacheProblem(p, error);
  }
  try {
    await p.make(p.dir);
    const ready = join(p.dir, `${READY}.${process.pid}`);
    await writeFile(ready, `${JSON.stringify({ ...p.marker, preparedAt: new Date().toISOString() })}\n`);
    await rename(ready, join(p.dir, READY));
  } catch (error) {
    await writeFile(
      failureFile(p.dir),
      JSON.stringify({ at: Date.now(), name: (error as Error).name, message: (error as Error).message }),
    ).catch(() => {});
    throw error;
  }
  await rm(failureFile(p.dir), { force: true });
  process.stderr.write(`valence: prepared ${p.what} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

const failureFile = (dir: string): string => `${dir}.failed`;

/** The failure of a making that ended after `since`, as the error its maker threw. */
async function readFailure(dir: string, since: number): Promise<Error | undefined> {
  let failure: { at: number; name: string; message: string };
  try {
    failure = JSON.parse(await readFile(failureFile(dir), "utf8")) as typeof failure;
  } catch {
    return undefined;
  }
  if (!(failure.at >= since)) return undefined;
  const error = new Error(failure.message);
  error.name = failure.name;
  error.stack = `${error.name}: ${error.message}`;
  return error;
}

function cacheProblem(p: Preparation, error: unknown): Error {
  const problem = new Error(
    `cannot prepare ${p.what} in ${p.dir}: ${(error as Error).message}. Set VALENCE_CACHE_DIR to a ` +
      `writable folder on the machine that runs the task.`,
    { cause: error },
  );
  problem.name = p.errorName;
  return problem;
}
