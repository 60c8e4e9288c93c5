// The worker-thread side of the local executor (loaded as dist/executors/local-worker.js): runs one
// task at a time, streams what the task writes to stdout/stderr (console included) to the pool as
// log lines, keeps rebuilt electrons by spec key for the next tasks, and posts back the outcome.
import { parentPort } from "node:worker_threads";
import type { TaskOutcome } from "./executor";
import type { RunMessage, WorkerReply } from "./local-protocol";
import { chunkText } from "./log-capture";
import { taskError } from "./task-error";
import { ElectronCache, runRebuilt } from "./task-runtime";

const port = parentPort;
if (!port) throw new Error("local-worker.js runs in a worker thread started by the local executor");
const post = (reply: WorkerReply, transfer: ArrayBuffer[] = []): void => port.postMessage(reply, transfer);

for (const stream of ["stdout", "stderr"] as const) {
  process[stream].write = ((chunk: unknown, ...rest: unknown[]): boolean => {
    post({ type: "log", line: { stream, text: chunkText(chunk, rest[0]), at: Date.now() } });
    const callback = rest.find((r) => typeof r === "function") as (() => void) | undefined;
    if (callback) process.nextTick(callback);
    return true;
  }) as typeof process.stdout.write;
}

// The pool decides what each worker keeps (it sends `forget`), so this cache does not evict by itself.
const electrons = new ElectronCache(Number.MAX_SAFE_INTEGER);

port.on("message", (message: RunMessage) => {
  const startedAt = Date.now();
  for (const key of message.forget) electrons.forget(key);
  const rebuilt = electrons.get(message.key, () => message.spec);
  const specFailed = rebuilt.then(
    () => false,
    () => true,
  );
  runRebuilt(rebuilt, message.task).then(
    (output) => {
      const outcome: TaskOutcome = { ok: true, output, logs: [], startedAt, endedAt: Date.now() };
      const whole = output.byteOffset === 0 && output.byteLength === output.buffer.byteLength;
      post({ type: "done", outcome, specFailed: false }, whole ? [output.buffer as ArrayBuffer] : []);
    },
    async (error: unknown) => {
      const outcome: TaskOutcome = { ok: false, error: taskError(error), logs: [], startedAt, endedAt: Date.now() };
      post({ type: "done", outcome, specFailed: await specFailed });
    },
  );
});

post({ type: "ready" });
