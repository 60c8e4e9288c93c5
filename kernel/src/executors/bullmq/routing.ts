// Which BullMQ queue a task goes to, so that it only reaches a worker that can run it. A task of
// 1 CPU (or less), no declared memory and no GPU goes to the base queue, which every worker consumes.
// Any other task goes to a class queue named after what it needs: `<queue>.c4.m8192.g1` (4 CPUs,
// 8192 MiB, 1 GPU; parts only where above the default). A worker consumes each class queue whose
// every need it declares (cpus ≥ c, memory-mb ≥ m, gpus ≥ g); class queues are created on first
// use, announced to workers, and a task waits in the executor until some live worker can serve it.
import type { WorkerRecord } from "./protocol";

export interface Needs {
  readonly cpus: number;
  readonly memoryMB: number;
  readonly gpus: number;
}

export interface Capacity {
  readonly cpus: number;
  readonly memoryMB: number;
  readonly gpus: number;
}

/** What a task needs, as whole CPUs, MiB and GPUs (rounded up; a routing class never asks too little). */
export function needsOf(resources: { cpus: number; memoryMB?: number; gpus?: number }): Needs {
  return {
    cpus: Math.max(1, Math.ceil(resources.cpus)),
    memoryMB: Math.ceil(resources.memoryMB ?? 0),
    gpus: Math.ceil(resources.gpus ?? 0),
  };
}

/** The queue for tasks with these needs (the base queue for ordinary ones). */
export function queueFor(base: string, needs: Needs): string {
  const parts: string[] = [];
  if (needs.cpus > 1) parts.push(`c${needs.cpus}`);
  if (needs.memoryMB > 0) parts.push(`m${needs.memoryMB}`);
  if (needs.gpus > 0) parts.push(`g${needs.gpus}`);
  return parts.length ? `${base}.${parts.join(".")}` : base;
}

/** The needs a queue stands for, or undefined when it is not the base queue or one of its classes. */
export function needsOfQueue(base: string, name: string): Needs | undefined {
  if (name === base) return { cpus: 1, memoryMB: 0, gpus: 0 };
  if (!name.startsWith(`${base}.`)) return undefined;
  const needs = { cpus: 1, memoryMB: 0, gpus: 0 };
  for (const part of name.slice(base.length + 1).split(".")) {
    const match = /^([cmg])([1-9]\d*)$/.exec(part);
    if (!match) return undefined;
    const value = Number(match[2]);
    if (match[1] === "c") needs.cpus = value;
    else if (match[1] === "m") needs.memoryMB = value;
    else needs.gpus = value;
  }
  return needs;
}

export function canServe(capacity: Capacity, needs: Needs): boolean {
  return needs.cpus <= capacity.cpus && needs.memoryMB <= capacity.memoryMB && needs.gpus <= capacity.gpus;
}

/** "1 GPU", "4 CPUs, 8192 MB": what is asked beyond an ordinary task. */
export function describeNeeds(needs: Needs): string {
  const parts: string[] = [];
  if (needs.gpus > 0) parts.push(`${needs.gpus} GPU${needs.gpus === 1 ? "" : "s"}`);
  if (needs.cpus > 1) parts.push(`${needs.cpus} CPUs`);
  if (needs.memoryMB > 0) parts.push(`${needs.memoryMB} MB of memory`);
  return parts.join(", ") || "1 CPU";
}

/** Why no live worker can take the task, or undefined when one can. */
export function waitingReason(queue: string, needs: Needs, workers: readonly WorkerRecord[]): string | undefined {
  if (workers.some((worker) => canServe(worker, needs))) return undefined;
  if (!workers.length) {
    return `no worker is connected to queue "${queue}" (start one: valence worker --redis <url> --queue ${queue})`;
  }
  const largest = workers.map((w) => `${w.cpus} CPUs, ${w.memoryMB} MB, ${w.gpus} GPUs`);
  return (
    `no worker with ${describeNeeds(needs)} is connected to queue "${queue}" ` +
    `(connected: ${[...new Set(largest)].slice(0, 4).join("; ")})`
  );
}
