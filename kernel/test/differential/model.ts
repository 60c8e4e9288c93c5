// The reference model of the differential test: what a plan's dispatch must give, worked out from the
// semantics the README states, with no engine code: a node runs once everything it depends on (data
// or `wait`) completed; a failed attempt is retried while `retries` allow, an attempt that outlives
// `timeoutMs` fails; a node that fails for good fails the dispatch, its dependants never start
// (CANCELLED, no attempt) and independent branches finish; a sublattice is a child dispatch built
// from its real inputs, whose failure fails its node. The result is the return structure with each
// future replaced by its output.
import { TIMED, VARIANTS, refsOf, type Access, type Arg, type Plan } from "./plan.ts";

/** What every generated electron returns: its id, a digest of its arguments, and both as a pair. */
export interface Output {
  readonly id: number;
  readonly v: number;
  readonly pair: readonly [number, number];
  /** A filler, when the plan asks for a large output. */
  readonly pad?: string;
}

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
}

export interface Expected {
  readonly status: "COMPLETED" | "FAILED";
  readonly result?: unknown;
  readonly tasks: readonly ExpectedTask[];
  /** A sublattice's final call (its output): it runs once the tasks its return structure refers to completed. */
  readonly final?: ExpectedTask;
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
export function outputOf(id: number, args: readonly unknown[], pad = 0): Output {
  const v = digest(args);
  return pad ? { id, v, pair: [id, v], pad: "x".repeat(pad) } : { id, v, pair: [id, v] };
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

/** The expected outcome of `plan`, its task ids starting at `base`, with a sublattice's `inputs`. */
export function expectedOf(plan: Plan, base = 0, inputs: readonly unknown[] = []): Expected {
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
    if (task.sub) {
      const child = expectedOf(task.sub, childBase(base, i), args);
      const done = child.status === "COMPLETED";
      const output = done ? (child.result as Output) : undefined;
      outputs[i] = output;
      tasks.push({
        id,
        status: done ? "COMPLETED" : "FAILED",
        attempts: 1,
        timedOut: false,
        child,
        ...(output ? { output } : {}),
      });
      return;
    }
    const tries = 1 + (VARIANTS[task.variant]!.retries ?? 0);
    let attempt = 1;
    for (; attempt <= tries; attempt++) {
      const stalls = task.variant === TIMED && task.stalls.includes(attempt);
      if (!stalls && !task.fails.includes(attempt)) break;
    }
    if (attempt > tries) {
      const timedOut = task.variant === TIMED && task.stalls.includes(tries);
      tasks.push({ id, status: "FAILED", attempts: tries, timedOut });
      return;
    }
    const output = outputOf(id, args, task.pad);
    outputs[i] = output;
    tasks.push({ id, status: "COMPLETED", attempts: attempt, output, timedOut: false });
  });
  const failed = tasks.some((t) => t.status !== "COMPLETED");
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
  return { status: "COMPLETED", result: finalOutput ?? returns, tasks, ...(final ? { final } : {}) };
}
