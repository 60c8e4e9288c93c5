// The worker-thread side of the local executor (loaded as dist/executors/local-worker.js): runs the
// batches in the order they come, the tasks of each one after another (a follow-up with the output of
// the task before it), streams what a task writes to stdout/stderr (console included) to the pool as
// log lines, keeps rebuilt electrons by spec key for the next tasks, and posts back each outcome as
// soon as it has it.
import { parentPort, workerData } from "node:worker_threads";
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

async function runBatch(message: BatchMessage): Promise<void> {
  for (const key of message.forget) electrons.forget(key);
  const size = batchSize(message);
  /** The output of the task just run, when it succeeded: a follow-up takes it as its input. */
  let previous: Uint8Array | undefined;
  for (let i = 0; i < size; i++) {
    const { task, key, spec, inputAt } = batchTask(message, i);
    const index = message.base + i;
    const input = inputAt && previous ? { at: inputAt, output: previous } : undefined;
    previous = undefined;
    // A follow-up whose previous task did not succeed cannot run: the pool submits it again later.
    if (inputAt && !input) {
      if (Atomics.compareExchange(control, index, QUEUED, CANCELLED) === QUEUED)
        post({ type: "skipped", index, notRun: true });
      else post({ type: "skipped", index });
      continue;
    }
    // The pool may have cancelled (or held back) a task that has not started: then it does not run.
    if (Atomics.compareExchange(control, index, QUEUED, STARTED) !== QUEUED) {
      post({ type: "skipped", index });
      continue;
    }
    current = index;
    const startedAt = Date.now();
    clock[0] = startedAt;
    // An electron rebuilt already runs at once; a short synchronous task then costs no await at all.
    const ready = electrons.ready(key);
    const rebuilt = ready
      ? undefined
      : electrons.get(key, () => {
          // Before the first electron that imports the user's modules (they may be TypeScript).
          if (spec && setup.loader) registerLoaderFor(spec.functions, setup.loader);
          return spec;
        });
    const specFailed = rebuilt
      ? await rebuilt.then(
          () => false,
          () => true,
        )
      : false;
    const began = performance.now();
    let output: Uint8Array | undefined;
    let error: TaskError | undefined;
    let transfer: ArrayBuffer[] = [];
    try {
      const run = ready ? runDefinition(ready, task, input) : runRebuilt(rebuilt!, task, input);
      output = run instanceof Uint8Array ? run : await run;
      // The next task takes this output: it stays here (posting copies it), else it moves.
      if (followsPrevious(message, i + 1)) previous = output;
      else if (output.byteOffset === 0 && output.byteLength === output.buffer.byteLength) {
        transfer = [output.buffer as ArrayBuffer];
      }
    } catch (thrown) {
      error = taskError(thrown);
    }
    const endedAt = Date.now();
    const micros = Math.round((performance.now() - began) * 1000);
    Atomics.store(control, index, DONE);
    post({ type: "done", index, output, error, startedAt, endedAt, specFailed, micros }, transfer);
  }
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

post({ type: "ready" });
