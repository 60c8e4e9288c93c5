// The worker-thread side of the local executor: runs one task at a time, capturing what it writes to
// stdout/stderr (console included) into the task's logs, and posts back the outcome.
import { parentPort } from "node:worker_threads";
import type { LogLine, TaskOutcome, TaskSpec } from "./executor";
import { taskError } from "./inline";
import { rebuildElectron, type ElectronSpec } from "../workflow/serialize";
import { runRebuilt } from "./task-runtime";

/** What the pool sends: the task without its spec, plus the spec the first time this worker sees it. */
export interface WorkerMessage {
  readonly task: TaskSpec;
  readonly specId: number;
  readonly spec?: ElectronSpec;
}

const electrons = new Map<number, ReturnType<typeof rebuildElectron>>();

let logs: LogLine[] = [];

for (const stream of ["stdout", "stderr"] as const) {
  const target = process[stream];
  target.write = ((chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
    logs.push({
      stream,
      text: typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"),
      at: Date.now(),
    });
    const callback = rest.find((r) => typeof r === "function") as (() => void) | undefined;
    callback?.();
    return true;
  }) as typeof target.write;
}

parentPort!.on("message", ({ task, specId, spec }: WorkerMessage) => {
  logs = [];
  const startedAt = Date.now();
  if (spec) {
    // Bounded: a long-lived dispatcher sends new specs with every dispatch.
    if (electrons.size >= 1000) electrons.delete(electrons.keys().next().value!);
    electrons.set(specId, rebuildElectron(spec));
  }
  const electron = electrons.get(specId);
  const running = electron ? runRebuilt(electron, task) : Promise.reject(new Error(`worker has no electron ${specId}`));
  running.then(
    (output) => {
      const outcome: TaskOutcome = { ok: true, output, logs, startedAt, endedAt: Date.now() };
      const whole = output.byteOffset === 0 && output.byteLength === output.buffer.byteLength;
      parentPort!.postMessage(outcome, whole ? [output.buffer as ArrayBuffer] : []);
    },
    (error: unknown) => {
      const outcome: TaskOutcome = { ok: false, error: taskError(error), logs, startedAt, endedAt: Date.now() };
      parentPort!.postMessage(outcome);
    },
  );
});
