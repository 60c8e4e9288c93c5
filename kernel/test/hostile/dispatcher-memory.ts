// The request fuzzer's view of the dispatcher's memory (request-fuzz.test.ts): its heap after a forced
// GC (it runs with --expose-gc), the judge of a flat trend over a long run, and heap snapshots to
// compare when the trend is not flat.
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { callDispatcher } from "../support/requests.ts";

export interface Dispatcher {
  readonly url: string;
  readonly token: string;
  readonly child: ChildProcess;
  readonly output: () => string;
}

export interface MemorySample {
  /** Rounds done (one request per route each). */
  readonly round: number;
  readonly heapUsed: number;
  /** Buffers and other memory outside the heap that JS objects hold. */
  readonly external: number;
  readonly rss: number;
  /** Dispatches running (between rounds: what is still running then is stuck or slow). */
  readonly running: number;
}

/**
 * A call that is not itself fuzzed, tried again once if the connection failed: fetch may reuse a
 * keep-alive connection just as the server closes it (idle for 5 s, as during a slow setup).
 */
export const steadily: typeof callDispatcher = (...args) =>
  callDispatcher(...args).catch((error: unknown) => {
    if (!(error instanceof TypeError)) throw error;
    return callDispatcher(...args);
  });

/** The dispatcher's memory after a full GC (it runs with --expose-gc). */
export async function memory(d: Dispatcher, round: number): Promise<MemorySample> {
  const status = await steadily(d, "GET", "/api/v1/status?gc=1");
  const m = status.body.memory as { heapUsed: number; external: number; rss: number; afterGc: boolean };
  assert.ok(m.afterGc, "the dispatcher ran a GC before measuring (--expose-gc)");
  return { round, heapUsed: m.heapUsed, external: m.external, rss: m.rss, running: status.body.running as number };
}

export const mb = (n: number): string => (n / 2 ** 20).toFixed(1);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

/**
 * Flat: after warm-up (the first tenth of the run), the median post-GC heap of the last quarter of
 * the samples is within 4 MB + 5% of the first quarter's. Medians: one sample taken while a burst of
 * dispatches is still running must not decide. The judge is the heap: RSS also holds the local
 * executor's worker threads (started and stopped as tasks are cancelled or ask for other heap limits)
 * and what malloc keeps of freed memory, so it is reported, and only held under a ceiling.
 */
export function memoryTrend(samples: readonly MemorySample[], rounds: number) {
  const settled = samples.filter((s) => s.round >= rounds / 10);
  const quarter = Math.max(1, Math.floor(settled.length / 4));
  const first = settled.slice(0, quarter);
  const last = settled.slice(-quarter);
  const heapFirst = median(first.map((s) => s.heapUsed));
  const heapLast = median(last.map((s) => s.heapUsed));
  const bound = 4 * 2 ** 20 + heapFirst * 0.05;
  return {
    heapFirst,
    heapLast,
    externalFirst: median(first.map((s) => s.external)),
    externalLast: median(last.map((s) => s.external)),
    rssFirst: median(first.map((s) => s.rss)),
    rssLast: median(last.map((s) => s.rss)),
    bound,
    flat: heapLast - heapFirst <= bound,
  };
}

/** Waits for the heap snapshot SIGUSR2 asks for to be written completely (its size stops changing). */
export async function heapSnapshot(d: Dispatcher, dir: string, label: string): Promise<string> {
  const before = new Set(readdirSync(dir));
  d.child.kill("SIGUSR2");
  const deadline = Date.now() + 120_000;
  let size = -1;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    const name = readdirSync(dir).find((f) => f.endsWith(".heapsnapshot") && !before.has(f));
    if (!name) continue;
    const now = statSync(join(dir, name)).size;
    if (now > 0 && now === size) {
      process.stderr.write(`heap snapshot (${label}): ${join(dir, name)}\n`);
      return name;
    }
    size = now;
  }
  throw new Error(`no heap snapshot written in ${dir}`);
}
