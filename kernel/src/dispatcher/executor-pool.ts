// The executors a dispatcher knows, by name, and what each has free: a task starts only when its
// cpus and memory fit (never overcommitting), in the order tasks became ready. An executor that
// queues tasks itself and reports when each starts (`lookahead`) is handed that many CPUs' worth of
// tasks beyond its capacity, so it can start the next ones without a round trip to the dispatcher;
// it enforces its capacity on its own. Waiting tasks are kept as (owner, node id) pairs, not closures.
import type { ElectronOptionsDocument } from "@valence/schema";
import type { Executor } from "../executors/executor";

export interface TaskNeeds {
  readonly cpus: number;
  readonly memoryMB: number;
  readonly gpus: number;
}

/** Whoever queued a task: called back when it may start. */
export interface TaskOwner {
  startTask(nodeId: number, needs: TaskNeeds): void;
}

interface Slot {
  readonly executor: Executor;
  readonly lookahead: number;
  cpus: number;
  memoryMB: number;
  gpus: number;
  /** The waiting tasks from `head` on, as parallel columns. */
  owners: Array<TaskOwner | undefined>;
  ids: number[];
  needs: Array<TaskNeeds | undefined>;
  head: number;
}

export const DEFAULT_EXECUTOR = "local";

export interface ExecutorPoolOptions {
  /** The executor of tasks whose options name none. Default `DEFAULT_EXECUTOR`. */
  readonly defaultName?: string;
  /** The config file the executors came from, named in errors; undefined: none. */
  readonly configFile?: string;
}

export function taskNeeds(options: ElectronOptionsDocument | undefined): TaskNeeds {
  const r = options?.resources ?? {};
  return { cpus: r.cpus ?? 1, memoryMB: r.memoryMB ?? 0, gpus: r.gpus ?? 0 };
}

export class ExecutorPool {
  private readonly slots = new Map<string, Slot>();
  /** Controllers of submits that settled unaborted, for the next ones (see `Executor.submit`). */
  private readonly controllers: AbortController[] = [];

  /** The executor of tasks whose options name none. */
  readonly defaultName: string;
  private readonly configFile: string | undefined;

  constructor(executors: Readonly<Record<string, Executor>>, options: ExecutorPoolOptions = {}) {
    this.defaultName = options.defaultName ?? DEFAULT_EXECUTOR;
    this.configFile = options.configFile;
    for (const [name, executor] of Object.entries(executors)) {
      const { cpus, memoryMB, gpus } = executor.capacity;
      const lookahead = Math.max(0, Math.floor(executor.lookahead ?? 0));
      this.slots.set(name, { executor, lookahead, cpus, memoryMB, gpus, owners: [], ids: [], needs: [], head: 0 });
    }
  }

  names(): string[] {
    return [...this.slots.keys()];
  }

  executor(name: string): Executor {
    return this.slot(name).executor;
  }

  /** True when the executor reports task starts itself (see `Executor.lookahead`). */
  reportsStarts(name: string): boolean {
    return this.slot(name).lookahead > 0;
  }

  /** Why a task can never run here (unknown executor, needs more than it has), or undefined. */
  impossible(name: string, needs: TaskNeeds): string | undefined {
    const slot = this.slots.get(name);
    if (!slot) return this.unknown(name);
    const cap = slot.executor.capacity;
    if (needs.cpus > cap.cpus) return `needs ${needs.cpus} CPUs but executor "${name}" has ${cap.cpus}`;
    if (needs.memoryMB > cap.memoryMB)
      return `needs ${needs.memoryMB} MB but executor "${name}" has ${cap.memoryMB} MB`;
    if (needs.gpus > cap.gpus) return `needs ${needs.gpus} GPU(s) but executor "${name}" has ${cap.gpus}`;
    return undefined;
  }

  /** Calls `owner.startTask(nodeId)` as soon as the task's needs fit; tasks start in the order queued. */
  acquire(name: string, needs: TaskNeeds, owner: TaskOwner, nodeId: number): void {
    const slot = this.slot(name);
    slot.owners.push(owner);
    slot.ids.push(nodeId);
    slot.needs.push(needs);
    this.drain(slot);
  }

  release(name: string, needs: TaskNeeds): void {
    const slot = this.slot(name);
    slot.cpus += needs.cpus;
    if (!slot.lookahead) {
      slot.memoryMB += needs.memoryMB;
      slot.gpus += needs.gpus;
    }
    this.drain(slot);
  }

  /**
   * An AbortController for one submit. A signal costs an allocation and a listener registration; one per
   * task was a third of a no-op task's garbage, so a submit that settles unaborted gives its back.
   */
  controller(): AbortController {
    return this.controllers.pop() ?? new AbortController();
  }

  /** The submit given `controller` has settled: it may serve another unless it was aborted. */
  recycle(controller: AbortController): void {
    if (!controller.signal.aborted && this.controllers.length < 1024) this.controllers.push(controller);
  }

  async close(): Promise<void> {
    await Promise.all([...this.slots.values()].map((slot) => slot.executor.close()));
  }

  private drain(slot: Slot): void {
    while (slot.head < slot.ids.length) {
      const at = slot.head;
      const needs = slot.needs[at]!;
      if (slot.lookahead) {
        // The executor checks memory and GPUs itself; here only how much is handed to it.
        if (needs.cpus > slot.cpus + slot.lookahead) return;
      } else {
        if (needs.cpus > slot.cpus || needs.memoryMB > slot.memoryMB || needs.gpus > slot.gpus) return;
        slot.memoryMB -= needs.memoryMB;
        slot.gpus -= needs.gpus;
      }
      slot.cpus -= needs.cpus;
      const owner = slot.owners[at]!;
      const id = slot.ids[at]!;
      slot.owners[at] = undefined;
      slot.needs[at] = undefined;
      slot.head++;
      if (slot.head === slot.ids.length) {
        slot.owners.length = slot.ids.length = slot.needs.length = slot.head = 0;
      } else if (slot.head >= 1024 && slot.head * 2 >= slot.ids.length) {
        // Drop the started prefix now and then, not on every start (shift() is O(n) on big queues).
        slot.owners.splice(0, slot.head);
        slot.ids.splice(0, slot.head);
        slot.needs.splice(0, slot.head);
        slot.head = 0;
      }
      owner.startTask(id, needs);
    }
  }

  private slot(name: string): Slot {
    const slot = this.slots.get(name);
    if (!slot) throw new Error(`a task ${this.unknown(name)}`);
    return slot;
  }

  private unknown(name: string): string {
    const config = this.configFile ?? "no config file";
    return `asks for executor "${name}", which this dispatcher does not have (executors: ${this.names().join(", ")}; config: ${config})`;
  }
}
