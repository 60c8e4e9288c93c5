// The executors a dispatcher knows, by name, and what each has free: a task starts only when its
// cpus and memory fit (never overcommitting), in the order tasks became ready.
import type { ElectronOptionsDocument } from "@valence/schema";
import type { Executor } from "../executors/executor";

export interface TaskNeeds {
  readonly cpus: number;
  readonly memoryMB: number;
  readonly gpus: number;
}

interface Slot {
  readonly executor: Executor;
  cpus: number;
  memoryMB: number;
  gpus: number;
  readonly waiting: Array<{ needs: TaskNeeds; start: () => void }>;
}

export const DEFAULT_EXECUTOR = "local";

export function taskNeeds(options: ElectronOptionsDocument | undefined): TaskNeeds {
  const r = options?.resources ?? {};
  return { cpus: r.cpus ?? 1, memoryMB: r.memoryMB ?? 0, gpus: r.gpus ?? 0 };
}

export class ExecutorPool {
  private readonly slots = new Map<string, Slot>();

  constructor(executors: Readonly<Record<string, Executor>>) {
    for (const [name, executor] of Object.entries(executors)) {
      const { cpus, memoryMB, gpus } = executor.capacity;
      this.slots.set(name, { executor, cpus, memoryMB, gpus, waiting: [] });
    }
  }

  names(): string[] {
    return [...this.slots.keys()];
  }

  executor(name: string): Executor {
    return this.slot(name).executor;
  }

  /** Why a task can never run here (unknown executor, needs more than it has), or undefined. */
  impossible(name: string, needs: TaskNeeds): string | undefined {
    const slot = this.slots.get(name);
    if (!slot) return `no executor named "${name}" (this dispatcher has: ${this.names().join(", ")})`;
    const cap = slot.executor.capacity;
    if (needs.cpus > cap.cpus) return `needs ${needs.cpus} CPUs but executor "${name}" has ${cap.cpus}`;
    if (needs.memoryMB > cap.memoryMB)
      return `needs ${needs.memoryMB} MB but executor "${name}" has ${cap.memoryMB} MB`;
    if (needs.gpus > cap.gpus) return `needs ${needs.gpus} GPU(s) but executor "${name}" has ${cap.gpus}`;
    return undefined;
  }

  /** Calls `start` as soon as the task's needs fit; tasks start in the order they asked. */
  acquire(name: string, needs: TaskNeeds, start: () => void): void {
    const slot = this.slot(name);
    slot.waiting.push({ needs, start });
    this.drain(slot);
  }

  release(name: string, needs: TaskNeeds): void {
    const slot = this.slot(name);
    slot.cpus += needs.cpus;
    slot.memoryMB += needs.memoryMB;
    slot.gpus += needs.gpus;
    this.drain(slot);
  }

  async close(): Promise<void> {
    await Promise.all([...this.slots.values()].map((slot) => slot.executor.close()));
  }

  private drain(slot: Slot): void {
    while (slot.waiting.length) {
      const { needs, start } = slot.waiting[0]!;
      if (needs.cpus > slot.cpus || needs.memoryMB > slot.memoryMB || needs.gpus > slot.gpus) return;
      slot.waiting.shift();
      slot.cpus -= needs.cpus;
      slot.memoryMB -= needs.memoryMB;
      slot.gpus -= needs.gpus;
      start();
    }
  }

  private slot(name: string): Slot {
    const slot = this.slots.get(name);
    if (!slot) throw new Error(`no executor named "${name}" (this dispatcher has: ${this.names().join(", ")})`);
    return slot;
  }
}
