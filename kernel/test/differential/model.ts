// The reference model of the differential test: what a plan's dispatch must give, worked out from the
// semantics the README states, with no engine code: a node runs once everything it depends on (data
// or `wait`) completed; a failed attempt is retried while `retries` allow, an attempt that outlives
// `timeoutMs` fails; a node that fails for good fails the dispatch, its dependants never start
// (CANCELLED, no attempt) and independent branches finish; a sublattice is a child dispatch built
// from its real inputs, whose failure fails its node. The result is the return structure with each
// future replaced by its output.
//
// And what the README says of the other electron options (plan.ts VARIANTS) and of cancelling nodes:
//   - `deps.npm` is installed where the task runs before its code does; the code gets the package by
//     `require`. When npm fails, every attempt fails with npm's error (NpmInstallError) and never
//     starts the function; `retries` try the install again.
//   - `callBefore` / `callAfter` run on the worker around the task: before each attempt's function,
//     after it only when it returned (options.ts: "Hooks run on the worker before / after the task";
//     a failed attempt has no "after" the task, as Covalent's call_after).
//   - `resources` beyond the executor: "more than the machine has fails at dispatch" — the whole
//     dispatch is refused (a sublattice's child dispatch: its node fails with the refusal, no child
//     task runs). On bullmq there is no such machine: a task goes only to a worker that offers what it
//     asks for, and fails (NoWorkerError) after the executor's `waitTimeoutMs` when none does, each
//     attempt, without starting.
//   - A task whose attempt ends its worker (`process.exit`) fails that attempt (WorkerExitError), and so
//     does one that crashes it (an error thrown where no promise of the task catches it: the error
//     says so and names it); its retries run on another worker, as any failed attempt's.
//   - `ct.cancel(id, [nodeIds])`: a chosen node that had not ended is CANCELLED and its dependants never
//     start; the rest runs on. The README does not say how such a dispatch ends: the engine and what
//     a user expects agree that it is not COMPLETED (its result lacks what was cancelled) but
//     CANCELLED, unless a task failed: FAILED, as ever.
import {
  DEPS,
  GREEDY,
  HOOKED,
  TIMED,
  VARIANTS,
  refsOf,
  type Access,
  type Arg,
  type Plan,
  type PlanTask,
} from "./plan.ts";

/** What every generated electron returns: its id, a digest of its arguments, and both as a pair. */
export interface Output {
  readonly id: number;
  readonly v: number;
  readonly pair: readonly [number, number];
  /** A filler, when the plan asks for a large output. */
  readonly pad?: string;
  /** What the deps.npm package exports (`tag`), for the DEPS variant. */
  readonly dep?: string;
}

/** The `tag` kernel/test/fixtures/differential-dep exports. */
export const DEP_TAG = "valence-differential-dep@1.0.0";

/** What ended a failed task's last attempt (when it failed). */
export type Failure = "planned" | "timeout" | "exit" | "crash" | "npm" | "no-worker" | "refused";

export type NodeStatus = "COMPLETED" | "FAILED" | "CANCELLED";

export interface ExpectedTask {
  /** The id the task's electron is called with (flow.ts): top-level tasks 0…, a sublattice's base + k. */
  readonly id: number;
  readonly status: NodeStatus;
  readonly attempts: number;
  /** The attempts that start (and so append a "start" line): 1…attempts. */
  readonly output?: Output;
  /** The last attempt failed by its timeout. */
  readonly timedOut: boolean;
  /** A sublattice: its child dispatch. */
  readonly child?: Expected;
  /** What ended its last attempt, when it failed. */
  readonly failure?: Failure;
  /** The attempts whose function starts, when not 1…attempts (deps that cannot install: none). */
  readonly started?: readonly number[];
  /** Its attempts are noted "before" and "after" by its hooks (HOOKED). */
  readonly hooks?: boolean;
  /**
   * Cancelled by the user before it ended (ct.cancel with its node): then `attempts` is the most it
   * may have made, each of its attempts may or may not have started, and a sublattice's child may
   * have stopped anywhere.
   */
  readonly cut?: boolean;
  /** A cut task the model completes: its last attempt may have succeeded before the cancel reached it. */
  readonly wouldComplete?: boolean;
}

export interface Expected {
  /** CANCELLED: only when the user cancelled a node (ModelOptions.cut) and no task failed. */
  readonly status: "COMPLETED" | "FAILED" | "CANCELLED";
  readonly result?: unknown;
  readonly tasks: readonly ExpectedTask[];
  /** A sublattice's final call (its output): it runs once the tasks its return structure refers to completed. */
  readonly final?: ExpectedTask;
  /** Refused at dispatch (a task asks for more CPUs than the executor has): nothing runs. */
  readonly refused?: boolean;
}

export interface ModelOptions {
  /** The executor the plan runs on (inline, local, bullmq): it decides what GREEDY does. Default: local. */
  readonly executor?: string;
  /** Top-level tasks the user cancelled (ct.cancel with their nodes) that ended CANCELLED. */
  readonly cut?: ReadonlySet<number>;
}

/** A sublattice's tasks get ids from `childBase(i)`; its final task (its output) is `childBase(i) + FINAL`. */
export const childBase = (parentBase: number, i: number): number => (parentBase + i + 1) * 1000;
export const FINAL = 999;

/** A stable digest of plain data: numbers, strings, null, arrays, objects (keys sorted). */
export function digest(value: unknown): number {
  const text = canonical(value);
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return (h >>> 0) % 1_000_000;
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const record = value as Record<string, unknown>;
    return `{${Object.keys(record)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(record[k])}`)
      .join(",")}}`;
  }
  return value === undefined ? "undefined" : JSON.stringify(value);
}

/** The output of electron call `id` with these (resolved) arguments. */
export function outputOf(id: number, args: readonly unknown[], pad = 0, dep?: string): Output {
  const v = digest(args);
  const output: Output = pad ? { id, v, pair: [id, v], pad: "x".repeat(pad) } : { id, v, pair: [id, v] };
  return dep === undefined ? output : { ...output, dep };
}

export function access(output: Output, how: Access | undefined): unknown {
  return how === "v" ? output.v : how === "pair1" ? output.pair[1] : output;
}

/** The value of an argument once the outputs it refers to are known. */
export function resolveArg(arg: Arg, outputs: ReadonlyArray<Output | undefined>, inputs: readonly unknown[]): unknown {
  if ("lit" in arg) return arg.lit;
  if ("ref" in arg) return access(outputs[arg.ref]!, arg.access);
  if ("list" in arg) return arg.list.map((item) => resolveArg(item, outputs, inputs));
  if ("dict" in arg) {
    return Object.fromEntries(Object.entries(arg.dict).map(([k, item]) => [k, resolveArg(item, outputs, inputs)]));
  }
  return inputs[arg.input];
}

/** Whether a plan (not its sublattices: they are built at run time) is refused at dispatch on `executor`. */
export function refusedAt(plan: Plan, executor = "local"): boolean {
  return executor !== "bullmq" && plan.tasks.some((t) => !t.sub && t.variant === GREEDY);
}

/** A plan refused at dispatch: none of its tasks runs (nor the sublattices' they would have started). */
function refused(plan: Plan, base: number): Expected {
  const notRun = (id: number): ExpectedTask => ({ id, status: "CANCELLED", attempts: 0, timedOut: false });
  return {
    status: "FAILED",
    refused: true,
    tasks: plan.tasks.map((task, i) =>
      task.sub ? { ...notRun(base + i), child: refused(task.sub, childBase(base, i)) } : notRun(base + i),
    ),
    ...(base < 1000 ? {} : { final: notRun(base + FINAL) }),
  };
}

/** A task (not a sublattice) whose inputs all completed: how its attempts go. */
function taskOutcome(task: PlanTask, id: number, args: readonly unknown[], executor: string): ExpectedTask {
  const variant = VARIANTS[task.variant]!;
  const tries = 1 + ("retries" in variant ? variant.retries : 0);
  const hooks = task.variant === HOOKED ? { hooks: true } : {};
  const exits = task.exits ?? [];
  const crashes = task.crashes ?? [];
  if ("deps" in variant && variant.deps === "missing") {
    return { id, status: "FAILED", attempts: tries, timedOut: false, failure: "npm", started: [] };
  }
  if (task.variant === GREEDY && executor === "bullmq") {
    return { id, status: "FAILED", attempts: tries, timedOut: false, failure: "no-worker", started: [] };
  }
  let attempt = 1;
  for (; attempt <= tries; attempt++) {
    const stalls = task.variant === TIMED && task.stalls.includes(attempt);
    if (!stalls && !task.fails.includes(attempt) && !exits.includes(attempt) && !crashes.includes(attempt)) break;
  }
  if (attempt > tries) {
    // An exit comes first (at the start), then a stall outlives the timeout (a planned throw would come after it).
    const failure: Failure = exits.includes(tries)
      ? "exit"
      : crashes.includes(tries)
        ? "crash"
        : task.variant === TIMED && task.stalls.includes(tries)
          ? "timeout"
          : "planned";
    return { id, status: "FAILED", attempts: tries, timedOut: failure === "timeout", failure, ...hooks };
  }
  const output = outputOf(id, args, task.pad, task.variant === DEPS ? DEP_TAG : undefined);
  return { id, status: "COMPLETED", attempts: attempt, output, timedOut: false, ...hooks };
}

/** The expected outcome of `plan`, its task ids starting at `base`, with a sublattice's `inputs`. */
export function expectedOf(
  plan: Plan,
  base = 0,
  inputs: readonly unknown[] = [],
  options: ModelOptions = {},
): Expected {
  const executor = options.executor ?? "local";
  if (refusedAt(plan, executor)) return refused(plan, base);
  const tasks: ExpectedTask[] = [];
  const outputs: Array<Output | undefined> = [];
  plan.tasks.forEach((task, i) => {
    const id = base + i;
    const deps = new Set([...task.waits, ...task.args.flatMap((a) => [...refsOf(a)])]);
    if ([...deps].some((d) => tasks[d]!.status !== "COMPLETED")) {
      tasks.push({ id, status: "CANCELLED", attempts: 0, timedOut: false });
      return;
    }
    const args = task.args.map((a) => resolveArg(a, outputs, inputs));
    const cut = base === 0 && options.cut?.has(i);
    if (task.sub) {
      const child = expectedOf(task.sub, childBase(base, i), args, { executor });
      const done = child.status === "COMPLETED";
      const output = done && !cut ? (child.result as Output) : undefined;
      outputs[i] = output;
      tasks.push({
        id,
        status: cut ? "CANCELLED" : done ? "COMPLETED" : "FAILED",
        attempts: 1,
        timedOut: false,
        child,
        ...(output ? { output } : {}),
        ...(child.refused && !cut ? { failure: "refused" as const } : {}),
        ...(cut ? { cut } : {}),
      });
      return;
    }
    const outcome = taskOutcome(task, id, args, executor);
    if (cut) {
      const { attempts, started, hooks } = outcome;
      tasks.push({
        id,
        status: "CANCELLED",
        attempts,
        timedOut: false,
        cut,
        ...(outcome.status === "COMPLETED" ? { wouldComplete: true } : {}),
        ...(started ? { started } : {}),
        ...(hooks ? { hooks } : {}),
      });
      return;
    }
    outputs[i] = outcome.output;
    tasks.push(outcome);
  });
  const failed = tasks.some((t) => t.status === "FAILED");
  const cancelled = tasks.some((t) => t.status !== "COMPLETED");
  const returned = [...refsOf(plan.returns)].every((r) => tasks[r]!.status === "COMPLETED");
  const returns = returned ? resolveArg(plan.returns, outputs, inputs) : undefined;
  // A sublattice's result is its final task's output (flow.ts): a call on the returned structure.
  const finalOutput = base >= 1000 && returned ? outputOf(base + FINAL, [returns]) : undefined;
  const final: ExpectedTask | undefined =
    base < 1000
      ? undefined
      : finalOutput
        ? { id: base + FINAL, status: "COMPLETED", attempts: 1, output: finalOutput, timedOut: false }
        : { id: base + FINAL, status: "CANCELLED", attempts: 0, timedOut: false };
  if (failed) return { status: "FAILED", tasks, ...(final ? { final } : {}) };
  if (cancelled) return { status: "CANCELLED", tasks, ...(final ? { final } : {}) };
  return { status: "COMPLETED", result: finalOutput ?? returns, tasks, ...(final ? { final } : {}) };
}
