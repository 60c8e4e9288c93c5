// The worker-thread side of the local executor (loaded as dist/executors/local-worker.js): runs the
// batches in the order they come, the tasks of each one after another (a follow-up with the output of
// the task before it), streams what a task writes to stdout/stderr (console included) to the pool as
// log lines, keeps rebuilt electrons by spec key for the next tasks, and posts back the outcomes of
// consecutive tasks packed in one message (local-outcomes.ts). It sends what it has when its batch
// ends, before it awaits anything (an async task, a rebuild), and once the oldest outcome it holds is
// a millisecond old; a large output goes alone, moved. Log lines go as written, before their outcome.
// The outcomes it holds live in memory shared with the pool (local-outcomes.ts): when the thread ends
// before it sent them (terminated, out of memory), the pool reads them there, and when it ends by a
// task's `process.exit()` or an uncaught exception they are sent first: either way the tasks that
// ended before it are not run again.
import { parentPort, workerData } from "node:worker_threads";
import type { ElectronSpec } from "../workflow/serialize";
import type { TaskError } from "./executor";
import {
  CANCELLED,
  DONE,
  QUEUED,
  STARTED,
  type BatchMessage,
  type WorkerReply,
  type WorkerSetup,
} from "./local-protocol";
import { batchSize, batchTask, followsPrevious } from "./local-batch";
import { LARGE_OUTPUT, OutcomePack, packedError } from "./local-outcomes";
import { chunkText } from "./log-capture";
import { registerLoaderFor } from "./loader-on-demand";
import { taskError } from "./task-error";
import { ElectronCache, runDefinition, runRebuilt } from "./task-runtime";

const port = parentPort;
if (!port) throw new Error("local-worker.js runs in a worker thread started by the local executor");
const post = (reply: WorkerReply, transfer: ArrayBuffer[] = []): void => port.postMessage(reply, transfer);
const setup = workerData as WorkerSetup;
const control = new Int32Array(setup.control);
const clock = new Float64Array(setup.clock);
/** The control slot of the task running now: its writes are its logs. */
let current = 0;
/** Outcomes not sent yet: at most this old (ms) once a task ends. */
const STALE_MS = 1;
/** Outcomes sent together at most while a chain goes on (its next task takes this one's output). */
const CHAIN_PACK = 8;
const outcomes = new OutcomePack(post, setup.outcomes);

for (const stream of ["stdout", "stderr"] as const) {
  process[stream].write = ((chunk: unknown, ...rest: unknown[]): boolean => {
    post({ type: "log", index: current, line: { stream, text: chunkText(chunk, rest[0]), at: Date.now() } });
    const callback = rest.find((r) => typeof r === "function") as (() => void) | undefined;
    if (callback) process.nextTick(callback);
    return true;
  }) as typeof process.stdout.write;
}

// The pool decides what each worker keeps (it sends `forget`), so this cache does not evict by itself.
const electrons = new ElectronCache(Number.MAX_SAFE_INTEGER);
/**
 * Specs that came with a batch, by key, until their electron is rebuilt. The pool sends a spec once
 * per worker, so a task that did not run (a follow-up after a failure, a task cancelled while
 * queued) must leave its spec here for the next task of the same electron.
 */
const specs = new Map<string, ElectronSpec>();
/** Electrons this worker ran a task of: the pool knows their tasks start when it hands them over. */
const announced = new Set<string>();

async function runBatch(message: BatchMessage): Promise<void> {
  for (const key of message.forget) {
    electrons.forget(key);
    specs.delete(key);
    announced.delete(key);
  }
  const size = batchSize(message);
  message.specs.forEach((spec, k) => {
    const key = message.keys[k]!;
    if (spec && !electrons.has(key)) specs.set(key, spec);
  });
  /** The output of the task just run, when it succeeded: a follow-up takes it as its input. */
  let previous: Uint8Array | undefined;
  for (let i = 0; i < size; i++) {
    const { task, key, inputAt } = batchTask(message, i);
    const index = message.base + i;
    const input = inputAt && previous ? { at: inputAt, output: previous } : undefined;
    previous = undefined;
    // A follow-up whose previous task did not succeed cannot run: the pool submits it again later.
    if (inputAt && !input) {
      outcomes.skipped(index, Atomics.compareExchange(control, index, QUEUED, CANCELLED) === QUEUED);
      continue;
    }
    // The pool may have cancelled (or held back) a task that has not started: then it does not run.
    if (Atomics.compareExchange(control, index, QUEUED, STARTED) !== QUEUED) {
      outcomes.skipped(index, false);
      continue;
    }
    current = index;
    // An electron rebuilt already runs at once; a short synchronous task then costs no await at all.
    const ready = electrons.ready(key);
    const rebuilt = ready
      ? undefined
      : electrons.get(key, () => {
          const spec = specs.get(key);
          // Before the first electron that imports the user's modules (they may be TypeScript).
          if (spec && setup.loader) registerLoaderFor(spec.functions, setup.loader);
          return spec;
        });
    // Whatever is awaited may take long: the pool hears of the tasks before first.
    if (rebuilt) outcomes.flush();
    const specFailed = rebuilt
      ? await rebuilt.then(
          () => false,
          () => true,
        )
      : false;
    // Kept until a rebuild succeeds: tasks of the electron sent before the pool heard of a failed one
    // (an npm install that failed) come without the spec, and rebuild it again.
    if (rebuilt && !specFailed) specs.delete(key);
    // The rebuild (module loading, an npm install) is not the task's run: its start, and so its
    // timeout, counts from here. The pool waits for this message for an electron's first task.
    const startedAt = Date.now();
    clock[0] = startedAt;
    if (!specFailed && !announced.has(key)) {
      announced.add(key);
      outcomes.flush();
      post({ type: "started", index, at: startedAt });
    }
    const began = performance.now();
    let output: Uint8Array | undefined;
    let error: TaskError | undefined;
    try {
      const run = ready ? runDefinition(ready, task, input) : runRebuilt(rebuilt!, task, input);
      if (run instanceof Uint8Array) output = run;
      else {
        outcomes.flush();
        output = await run;
      }
      // The next task takes this output: it stays here (sending copies it).
      if (followsPrevious(message, i + 1)) previous = output;
    } catch (thrown) {
      error = taskError(thrown);
    }
    const endedAt = Date.now();
    const now = performance.now();
    const micros = Math.round((now - began) * 1000);
    const packed = error ? packedError(error) : output;
    // A large output is not copied into a pack, nor is a huge error: sent alone.
    const alone = packed === undefined || packed.byteLength > LARGE_OUTPUT;
    if (alone) {
      outcomes.flush();
      // Moved unless the next task takes it. A posted message reaches the pool even if the thread ends.
      const whole = output && output.byteOffset === 0 && output.byteLength === output.buffer.byteLength;
      const transfer = output && previous !== output && whole ? [output.buffer as ArrayBuffer] : [];
      post({ type: "done", index, output, error, startedAt, endedAt, specFailed, micros }, transfer);
    } else outcomes.done({ index, startedAt, endedAt, specFailed, micros }, packed, error !== undefined);
    // DONE only once the pool can have the outcome (posted, or kept in the memory it shares), so a
    // task DONE in a worker that ended is never run again. Only if the slot is still this task's:
    // once the pool has every outcome of the batch it may give the slot to the next batch.
    Atomics.compareExchange(control, index, STARTED, DONE);
    if (!alone) {
      // In a chain the dispatcher records each outcome while the worker runs the next: a few at a time.
      const chained = previous !== undefined && outcomes.size >= CHAIN_PACK;
      if (chained || outcomes.full || outcomes.olderThan(STALE_MS, now)) outcomes.flush();
    }
  }
  // The pool frees the worker once every task of the batch is reported.
  outcomes.flush();
}

// A batch may arrive while the one before runs (the pool queues one so the worker need not sleep
// between them): they run in order.
const batches: BatchMessage[] = [];
let running = false;
port.on("message", (message: BatchMessage) => {
  batches.push(message);
  if (!running) void runBatches();
});

async function runBatches(): Promise<void> {
  running = true;
  for (let next = batches.shift(); next; next = batches.shift()) await runBatch(next);
  running = false;
}

let crashed = false;
process.on("uncaughtExceptionMonitor", () => (crashed = true));
process.on("exit", (code) => {
  outcomes.flush();
  post({ type: "exiting", code, crashed });
});

post({ type: "ready" });
