// The generated lattices of the differential test, as data: a plan is a list of tasks (each an
// electron call with nested arguments, `wait` edges, failures planned by attempt, a duration) and a
// return structure. `planArbitrary` makes them with fast-check; every reference points to an earlier
// task, so any plan (also any shrunk one) is a valid DAG.
import fc from "fast-check";

/** An argument: a literal, a task's output (or a part of it), a list or a dict of arguments, or (in a sublattice's plan) one of its inputs. */
export type Arg =
  | { readonly lit: number | string | null | readonly number[] }
  | { readonly ref: number; readonly access?: Access }
  | { readonly list: readonly Arg[] }
  | { readonly dict: Readonly<Record<string, Arg>> }
  | { readonly input: number };

/** What a reference takes of a task's output `{ id, v, pair: [id, v] }`: all, `.v` (getattr) or `.pair[1]` (getattr, getitem). */
export type Access = "v" | "pair1";

/**
 * Electron options by variant: the electrons of flow.ts, in this order. The variants after `cache`
 * come only with the PlanShape fields that allow them (`deps`, `hooks`, `greedy`, `wide`): `deps`
 * "fixture" installs the local package kernel/test/fixtures/differential-dep (by path, offline) and
 * puts what it exports in the output, "missing" names a path that does not exist; `hooks` has
 * callBefore / callAfter hooks that note each attempt in the log; `cpus` asks for that many CPUs.
 */
export const VARIANTS = [
  {},
  { retries: 1 },
  { retries: 2 },
  { retries: 1, timeoutMs: 1500 },
  { cache: true },
  { retries: 1, deps: "fixture" },
  { retries: 1, deps: "missing" },
  { retries: 1, hooks: true },
  { cpus: 1000 },
  { cpus: 2 },
] as const satisfies ReadonlyArray<{
  retries?: number;
  timeoutMs?: number;
  cache?: boolean;
  deps?: "fixture" | "missing";
  hooks?: boolean;
  cpus?: number;
}>;
/**
 * The variant whose attempts may stall past its timeout. An attempt that does not stall must end well
 * within it, whatever it is given: 400 ms was not enough for a 0 ms task digesting a 1.1 MB argument
 * on a machine running three campaigns at once (bullmq, seed 20261217), hence 1500.
 */
export const TIMED = 3;
/** deps.npm: the local package fixture, installed once per campaign (one set of specs). */
export const DEPS = 5;
/** deps.npm of a path that does not exist: every attempt fails in npm, before the function starts. */
export const DEPS_MISSING = 6;
/** callBefore / callAfter around every attempt. */
export const HOOKED = 7;
/** More CPUs than any executor of the tests has (README: refused at dispatch; on bullmq, no worker can take it). */
export const GREEDY = 8;
/** Two CPUs: all of a two-worker local executor (or of a two-CPU `valence worker`), never overcommitted. */
export const WIDE = 9;

export interface PlanTask {
  /** An electron call, or a sublattice (a child dispatch built from `sub` with the real inputs). */
  readonly kind: "task" | "sub";
  readonly variant: number;
  readonly args: readonly Arg[];
  /** Earlier tasks this one waits for without data (`ct.wait`). */
  readonly waits: readonly number[];
  /** Attempts (1-based) that throw. */
  readonly fails: readonly number[];
  /** Attempts that hang until the variant's timeout stops them (TIMED only). */
  readonly stalls: readonly number[];
  /** Attempts that end their worker with `process.exit(3)` once started (local and bullmq only). */
  readonly exits?: readonly number[];
  /** Attempts that crash their worker: an error thrown in a timer, outside the task's promise (local and bullmq only). */
  readonly crashes?: readonly number[];
  /** 0: returns at once (no promise); -1: a promise with no delay; > 0: sleeps that many ms. */
  readonly ms: number;
  /** The length of a filler string in its output (0: none): outputs over 1 KiB, 32 KiB, 1 MiB take other paths. */
  readonly pad?: number;
  readonly sub?: Plan;
}

export interface Plan {
  readonly tasks: readonly PlanTask[];
  readonly returns: Arg;
}

/** How big and how wild the generated plans are. */
export interface PlanShape {
  readonly maxTasks: number;
  /** Allow sublattices (a child dispatch each: slower). */
  readonly subs: boolean;
  /** Allow stalls (each costs a timeout). */
  readonly stalls: boolean;
  /** Allow planned failures. */
  readonly failures: boolean;
  /**
   * Now and then a plan of up to 320 tasks with no sublattice and mostly 900-byte outputs: long
   * chains, wide fan-outs, and more small outputs than one 256 KiB slab of the dispatcher holds.
   */
  readonly big?: boolean;
  /** Outputs mostly just under 1 KiB (set for the big plans). */
  readonly padded?: boolean;
  /** Allow the deps.npm variants: DEPS now and then, DEPS_MISSING rarely (each attempt runs npm). */
  readonly deps?: boolean;
  /** Allow the HOOKED variant. */
  readonly hooks?: boolean;
  /** Allow the GREEDY variant, rarely (on inline and local a plan with one at top level is refused). */
  readonly greedy?: boolean;
  /** Allow the WIDE variant (an executor of 2 CPUs or more). */
  readonly wide?: boolean;
  /** Allow planned worker exits and crashes, rarely (executors whose tasks run in worker threads). */
  readonly exits?: boolean;
}

export const DEFAULT_SHAPE: PlanShape = { maxTasks: 24, subs: true, stalls: true, failures: true, big: true };
/**
 * Output fillers: mostly none; just under 1 KiB (in the dispatcher's slabs), over 1 KiB (kept apart),
 * over 32 KiB (a Redis key of its own on BullMQ), over 1 MiB (a file beside the store).
 */
const PADS = [0, 900, 1500, 40_000, 1_100_000] as const;

// Raw tasks refer to earlier ones by any integer: `normalize` takes it modulo the task's position, so
// every shrink fast-check tries stays a DAG.
interface RawArg {
  readonly k: "lit" | "ref" | "list" | "dict" | "input";
  readonly n: number;
  readonly access: Access | undefined;
  readonly lit: number | string | null | readonly number[];
  readonly items: readonly RawArg[];
}

const rawArg: fc.Memo<RawArg> = fc.memo((depth: number) =>
  fc.record({
    k:
      depth <= 1
        ? fc.constantFrom<RawArg["k"]>("ref", "ref", "ref", "lit", "input")
        : fc.constantFrom<RawArg["k"]>("ref", "ref", "ref", "ref", "lit", "list", "dict", "input"),
    n: fc.nat(1000),
    access: fc.constantFrom<Access | undefined>(undefined, undefined, "v", "pair1"),
    lit: fc.oneof(
      fc.integer({ min: -5, max: 99 }),
      fc.constantFrom("a", "b", null),
      fc.constant([] as number[]),
      fc.array(fc.nat(9), { maxLength: 3 }),
    ),
    items: depth <= 1 ? fc.constant([]) : fc.array(rawArg(depth - 1), { maxLength: 3 }),
  }),
);

/** The variants of a shape: the first five as ever, and the others its fields allow, by weight. */
function variantArbitrary(shape: PlanShape): fc.Arbitrary<number> {
  const classic = fc.constantFrom(0, 0, 0, 1, 2, 4, TIMED);
  const extra = [
    { weight: 20, variant: DEPS, allowed: shape.deps },
    { weight: 1, variant: DEPS_MISSING, allowed: shape.deps },
    { weight: 25, variant: HOOKED, allowed: shape.hooks },
    { weight: 2, variant: GREEDY, allowed: shape.greedy },
    { weight: 20, variant: WIDE, allowed: shape.wide },
  ].filter((e) => e.allowed);
  if (!extra.length) return classic;
  return fc.oneof(
    { weight: 500, arbitrary: classic },
    ...extra.map((e) => ({ weight: e.weight, arbitrary: fc.constant(e.variant) })),
  );
}

function rawTask(shape: PlanShape, depth: number): fc.Arbitrary<RawTask> {
  const rarely = fc.oneof(
    { weight: 60, arbitrary: fc.constant<readonly number[]>([]) },
    { weight: 1, arbitrary: fc.subarray([1, 2], { minLength: 1 }) },
  );
  const exits: { exits?: fc.Arbitrary<readonly number[]>; crashes?: fc.Arbitrary<readonly number[]> } = shape.exits
    ? { exits: rarely, crashes: rarely }
    : {};
  return fc.record({
    ...exits,
    sub:
      shape.subs && depth === 0
        ? fc.oneof(
            { weight: 24, arbitrary: fc.constant(undefined) },
            { weight: 1, arbitrary: rawPlan({ ...shape, maxTasks: 4 }, 1) },
          )
        : fc.constant(undefined),
    variant: variantArbitrary(shape),
    args: fc.array(rawArg(3), { maxLength: 3 }),
    // Mostly the task just before: chains.
    near: fc.integer({ min: 0, max: 99 }).map((n) => n < 65),
    waits: fc.oneof(
      { weight: 5, arbitrary: fc.constant([]) },
      { weight: 1, arbitrary: fc.array(fc.nat(1000), { minLength: 1, maxLength: 2 }) },
    ),
    fails: shape.failures
      ? fc.oneof(
          { weight: 30, arbitrary: fc.constant([]) },
          { weight: 1, arbitrary: fc.subarray([1, 2, 3], { minLength: 1 }) },
        )
      : fc.constant([]),
    stalls: shape.stalls
      ? fc.oneof({ weight: 12, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.constant([1]) })
      : fc.constant([]),
    ms: fc.constantFrom(0, 0, 0, 0, -1, 2, 15),
    pad: fc.oneof(
      { weight: shape.padded ? 2 : 40, arbitrary: fc.constant(0) },
      { weight: shape.padded ? 40 : 4, arbitrary: fc.constant(PADS[1]) },
      { weight: 4, arbitrary: fc.constant(PADS[2]) },
      { weight: 2, arbitrary: fc.constant(PADS[3]) },
      { weight: 1, arbitrary: fc.constant(PADS[4]) },
    ),
  });
}

interface RawTask {
  readonly sub: RawPlan | undefined;
  readonly variant: number;
  readonly args: readonly RawArg[];
  readonly near: boolean;
  readonly waits: readonly number[];
  readonly fails: readonly number[];
  readonly stalls: readonly number[];
  readonly exits?: readonly number[];
  readonly crashes?: readonly number[];
  readonly ms: number;
  readonly pad: number;
}

interface RawPlan {
  readonly tasks: readonly RawTask[];
  readonly returns: readonly RawArg[];
}

function rawPlan(shape: PlanShape, depth: number, size: fc.SizeForArbitrary = "medium"): fc.Arbitrary<RawPlan> {
  return fc.record({
    tasks: fc.array(rawTask(shape, depth), { minLength: 1, maxLength: shape.maxTasks, size }),
    returns: fc.array(rawArg(2), { minLength: 1, maxLength: 3 }),
  });
}

/** Random plans, `inputs`: how many inputs a sublattice's plan may refer to (0 at top level). */
export function planArbitrary(shape: PlanShape = DEFAULT_SHAPE): fc.Arbitrary<Plan> {
  const plans = rawPlan(shape, 0).map((raw) => normalize(raw, 0));
  if (!shape.big) return plans;
  const big = rawPlan({ ...shape, subs: false, stalls: false, maxTasks: 320, padded: true }, 0, "max").map((raw) =>
    normalize(raw, 0),
  );
  return fc.oneof({ weight: 30, arbitrary: plans }, { weight: 1, arbitrary: big });
}

function normalize(raw: RawPlan, inputs: number): Plan {
  const tasks = raw.tasks.map((task, i): PlanTask => {
    const sub = task.sub ? normalize(task.sub, Math.max(1, task.args.length)) : undefined;
    let args = task.args.map((a) => normalizeArg(a, i, inputs, task.near));
    if (sub && !args.length) args = [{ lit: 0 }];
    const stalls = task.variant === TIMED ? task.stalls : [];
    return {
      kind: sub ? "sub" : "task",
      variant: sub ? 0 : task.variant,
      args,
      waits: i ? [...new Set(task.waits.map((w) => w % i))] : [],
      fails: sub ? [] : task.fails,
      stalls: sub ? [] : stalls,
      ...(!sub && task.exits?.length ? { exits: task.exits } : {}),
      ...(!sub && task.crashes?.length ? { crashes: task.crashes } : {}),
      ms: sub ? 0 : task.ms,
      pad: sub ? 0 : task.pad,
      ...(sub ? { sub } : {}),
    };
  });
  // The return value refers to tasks (at least the last one, so the dispatch waits for it).
  const returns: Arg = {
    list: [...raw.returns.map((a) => normalizeArg(a, tasks.length, inputs, false)), { ref: tasks.length - 1 }],
  };
  return { tasks, returns };
}

function normalizeArg(raw: RawArg, before: number, inputs: number, near: boolean): Arg {
  switch (raw.k) {
    case "ref":
      if (!before) return { lit: raw.n % 100 };
      return { ref: near ? before - 1 : raw.n % before, ...(raw.access ? { access: raw.access } : {}) };
    case "input":
      return inputs ? { input: raw.n % inputs } : { lit: raw.lit };
    case "list":
      return { list: raw.items.map((item) => normalizeArg(item, before, inputs, near)) };
    case "dict":
      return {
        dict: Object.fromEntries(raw.items.map((item, k) => [`k${k}`, normalizeArg(item, before, inputs, near)])),
      };
    default:
      return { lit: raw.lit };
  }
}

/** Every task id of the plan referred to by `arg`. */
export function refsOf(arg: Arg, into: Set<number> = new Set()): Set<number> {
  if ("ref" in arg) into.add(arg.ref);
  else if ("list" in arg) for (const item of arg.list) refsOf(item, into);
  else if ("dict" in arg) for (const item of Object.values(arg.dict)) refsOf(item, into);
  return into;
}

/** A short description of a plan: its size and which features it uses. */
export function describePlan(plan: Plan): string {
  const subs = plan.tasks.filter((t) => t.sub).length;
  const fails = plan.tasks.filter((t) => t.fails.length).length;
  const stalls = plan.tasks.filter((t) => t.stalls.length).length;
  const more = [
    [plan.tasks.filter((t) => t.exits?.length || t.crashes?.length).length, "ending their worker"],
    [plan.tasks.filter((t) => t.variant === DEPS || t.variant === DEPS_MISSING).length, "with deps.npm"],
    [plan.tasks.filter((t) => t.variant === HOOKED).length, "with hooks"],
    [plan.tasks.filter((t) => t.variant === GREEDY || t.variant === WIDE).length, "asking for CPUs"],
  ]
    .filter(([n]) => n)
    .map(([n, what]) => `, ${n} ${what}`)
    .join("");
  return `${plan.tasks.length} tasks (${subs} sublattices, ${fails} with planned failures, ${stalls} stalling${more})`;
}
