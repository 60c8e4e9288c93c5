// Per-task capture of stdout/stderr for tasks that share a thread (the inline executor): while at least
// one capture is open, process.stdout/stderr.write route writes made inside a task's async context to
// that task's logs; writes from anywhere else pass through untouched. Concurrent tasks do not mix.
import { AsyncLocalStorage } from "node:async_hooks";
import type { LogLine } from "./executor";

type Write = typeof process.stdout.write;

const storage = new AsyncLocalStorage<LogLine[]>();
const STREAMS = ["stdout", "stderr"] as const;
let originals: { stdout: Write; stderr: Write } | undefined;
let wrappers: { stdout: Write; stderr: Write } | undefined;
let open = 0;

/** Text of a chunk given to `write`. */
export function chunkText(chunk: unknown, encoding?: unknown): string {
  if (typeof chunk === "string") return chunk;
  if (chunk instanceof Uint8Array) {
    return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString(
      typeof encoding === "string" && Buffer.isEncoding(encoding) ? encoding : "utf8",
    );
  }
  return String(chunk);
}

function install(): void {
  const saved = { stdout: process.stdout.write, stderr: process.stderr.write };
  const made = {} as { stdout: Write; stderr: Write };
  for (const stream of STREAMS) {
    const original = saved[stream];
    made[stream] = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
      const logs = storage.getStore();
      if (!logs) return (original as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
      logs.push({ stream, text: chunkText(chunk, rest[0]), at: Date.now() });
      const callback = rest.find((r) => typeof r === "function") as (() => void) | undefined;
      if (callback) process.nextTick(callback);
      return true;
    } as Write;
    process[stream].write = made[stream];
  }
  originals = saved;
  wrappers = made;
}

function uninstall(): void {
  if (!originals || !wrappers) return;
  // Someone may have wrapped write after us; then ours stays in place (it passes through when idle).
  for (const stream of STREAMS)
    if (process[stream].write === wrappers[stream]) process[stream].write = originals[stream];
  originals = wrappers = undefined;
}

/**
 * Runs `body` with its writes to stdout/stderr (console included) collected into `logs`, which the
 * caller owns. Writes made after `body` settles by callbacks it left behind still land in `logs`
 * while any capture is open, else go to the real streams.
 */
export async function withCapturedLogs<T>(logs: LogLine[], body: () => Promise<T>): Promise<T> {
  if (open++ === 0) install();
  try {
    return await storage.run(logs, body);
  } finally {
    if (--open === 0) uninstall();
  }
}
