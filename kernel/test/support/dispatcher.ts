// Test support: a real dispatcher on a free loopback port with a fresh data directory, and the
// client pointed at it through VALENCE_DISPATCHER_URL / _TOKEN, exactly as a user would.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import * as ct from "valence-workflows";
import { resetConnection } from "#src/client/connection.js";

/** The read credential a kernel hands the browser (for the extension's tests, which cannot name #src). */
export { readTokenFor } from "#src/shared/runtime-file.js";

export function temporaryDir(prefix = "valence-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Points the client (VALENCE_DISPATCHER_URL / _TOKEN) at `dispatcher`, as a user would. */
export function pointClientAt(dispatcher: { readonly url: string; readonly token: string }): void {
  process.env.VALENCE_DISPATCHER_URL = dispatcher.url;
  process.env.VALENCE_DISPATCHER_TOKEN = dispatcher.token;
  resetConnection();
}

/** Undoes `pointClientAt`: the client looks for a dispatcher again. */
export function forgetDispatcher(): void {
  delete process.env.VALENCE_DISPATCHER_URL;
  delete process.env.VALENCE_DISPATCHER_TOKEN;
  resetConnection();
}

/** Starts one dispatcher for the calling test file and stops it (and removes its data) after. */
export function useDispatcher(options: Partial<ct.DispatcherOptions> = {}): { current: () => ct.RunningDispatcher } {
  let dispatcher: ct.RunningDispatcher | undefined;
  const dataDir = temporaryDir();
  before(async () => {
    dispatcher = await ct.startDispatcher({ dataDir, publish: false, ...options });
    pointClientAt(dispatcher);
  });
  after(async () => {
    await dispatcher?.close();
    forgetDispatcher();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return { current: () => dispatcher! };
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
