// The electrons and lattices of the differential test: one electron (in the option variants of
// plan.ts) whose behaviour its first argument spells out — its id, the attempts that throw or stall,
// how long it takes, the file where it notes each start and each success — and a lattice that builds
// a plan's graph with real electron calls, `ct.wait`, nested arguments, getattr/getitem and
// sublattices. They travel to the dispatcher and its workers by value, like any user's.
/* eslint-disable @typescript-eslint/no-require-imports -- a deps.npm electron gets its package by `require` */
import { appendFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as ct from "valence-workflows";
import { FINAL, childBase, digest } from "./model.ts";
import { DEPS, DEPS_MISSING, GREEDY, HOOKED, WIDE, type Arg, type Plan, type PlanTask } from "./plan.ts";

/** The first argument of every generated call. */
export interface How {
  readonly id: number;
  readonly log: string;
  readonly fails: readonly number[];
  readonly stalls: readonly number[];
  readonly ms: number;
  readonly pad?: number;
  /** Attempts that end the worker (`process.exit(3)`) as soon as they start. */
  readonly exits?: readonly number[];
  /** Attempts that crash the worker: an error thrown in a timer, which no promise of the task catches. */
  readonly crashes?: readonly number[];
  /** The package (deps.npm) whose `tag` the output carries. */
  readonly dep?: string;
}

function work(how: How, ...args: unknown[]): unknown {
  const { attempt } = ct.taskContext();
  appendFileSync(how.log, `start ${how.id} ${attempt}\n`);
  if (how.exits?.includes(attempt)) process.exit(3);
  if (how.crashes?.includes(attempt)) {
    setTimeout(() => {
      throw new Error(`planned crash of task ${how.id}, attempt ${attempt}`);
    });
    return new Promise(() => undefined); // the worker dies first
  }
  const finish = (): unknown => {
    if (how.fails.includes(attempt)) throw new Error(`planned failure of task ${how.id}, attempt ${attempt}`);
    const v = digest(args);
    const dep = how.dep ? { dep: (require(how.dep) as { tag: string }).tag } : {};
    appendFileSync(how.log, `done ${how.id} ${attempt}\n`);
    return how.pad
      ? { id: how.id, v, pair: [how.id, v], pad: "x".repeat(how.pad), ...dep }
      : { id: how.id, v, pair: [how.id, v], ...dep };
  };
  // Far past any timeout; unref'd, so a stalled attempt the inline executor gave up on (it cannot stop
  // a promise) does not keep the process alive.
  if (how.stalls.includes(attempt)) return new Promise((resolve) => setTimeout(resolve, 30_000).unref()).then(finish);
  if (how.ms === 0) return finish();
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, how.ms))).then(finish);
}

/** The package of kernel/test/fixtures/differential-dep, and its spec: installed by path (offline). */
export const DEP_NAME = "valence-differential-dep";
const FIXTURE = fileURLToPath(new URL("../fixtures/differential-dep", import.meta.url));
export const DEP_SPEC = `file:${FIXTURE}`;
/** A path that does not exist: npm fails (ENOENT) on every attempt. */
const MISSING_SPEC = `file:${FIXTURE}-missing`;

// One electron per option variant (plan.ts VARIANTS, same order); HOOKED is made per call (below).
const work0 = ct.electron(work, { name: "work" });
const work1 = ct.electron(work, { name: "work", retries: 1 });
const work2 = ct.electron(work, { name: "work", retries: 2 });
const work3 = ct.electron(work, { name: "work", retries: 1, timeoutMs: 1500 });
const work4 = ct.electron(work, { name: "work", cache: true });
// deps.bash too: a command run once per machine before the npm install (executors/bash-deps.ts).
const work5 = ct.electron(work, {
  name: "work",
  retries: 1,
  deps: { npm: [DEP_SPEC], bash: ["test -d . && echo prepared"] },
});
const work6 = ct.electron(work, { name: "work", retries: 1, deps: { npm: [MISSING_SPEC] } });
const work8 = ct.electron(work, { name: "work", resources: { cpus: 1000 } });
const work9 = ct.electron(work, { name: "work", resources: { cpus: 2 } });
const ELECTRONS: Readonly<Record<number, ct.Electron<[How, ...unknown[]], unknown>>> = {
  1: work1,
  2: work2,
  3: work3,
  4: work4,
  [DEPS]: work5,
  [DEPS_MISSING]: work6,
  [GREEDY]: work8,
  [WIDE]: work9,
};

/** A hook's note in the log (and in the task's logs): "before <id> <attempt>" or "after <id> <attempt>". */
function hookNote(how: How, when: "before" | "after"): void {
  const { attempt } = ct.taskContext();
  appendFileSync(how.log, `${when} ${how.id} ${attempt}\n`);
  console.log(`hook ${when} ${how.id} ${attempt}`);
}

/** HOOKED: its hooks know which call they belong to by closing over its `how`, so one electron per call. */
function hooked(how: How): ct.Electron<[How, ...unknown[]], unknown> {
  return ct.electron(work, {
    name: "work",
    retries: 1,
    callBefore: () => hookNote(how, "before"),
    callAfter: () => hookNote(how, "after"),
  });
}

function electronOf(variant: number, how: How): (how: How, ...args: unknown[]) => ct.Future<unknown> {
  const electron = variant === HOOKED ? hooked(how) : (ELECTRONS[variant] ?? work0);
  return electron as unknown as (how: How, ...args: unknown[]) => ct.Future<unknown>;
}

/** An argument as the lattice body passes it: futures (or their parts) inside plain values. */
function argument(arg: Arg, futures: readonly unknown[], inputs: readonly unknown[]): unknown {
  if ("lit" in arg) return arg.lit;
  if ("ref" in arg) {
    const future = futures[arg.ref] as { v: unknown; pair: unknown[] };
    return arg.access === "v" ? future.v : arg.access === "pair1" ? future.pair[1] : future;
  }
  if ("list" in arg) return arg.list.map((item) => argument(item, futures, inputs));
  if ("dict" in arg) {
    return Object.fromEntries(Object.entries(arg.dict).map(([k, item]) => [k, argument(item, futures, inputs)]));
  }
  return inputs[arg.input];
}

function howOf(task: PlanTask, id: number, log: string): How {
  return {
    id,
    log,
    fails: task.fails,
    stalls: task.stalls,
    ms: task.ms,
    ...(task.pad ? { pad: task.pad } : {}),
    ...(task.exits?.length ? { exits: task.exits } : {}),
    ...(task.crashes?.length ? { crashes: task.crashes } : {}),
    ...(task.variant === DEPS ? { dep: DEP_NAME } : {}),
  };
}

/** The lattice body: the plan's calls in order, then its waits; returns the plan's return structure. */
function build(plan: Plan, log: string, base: number, inputs: readonly unknown[], executor: string): unknown[] {
  const futures: unknown[] = [];
  plan.tasks.forEach((task, i) => {
    const args = task.args.map((a) => argument(a, futures, inputs));
    const sub = task.sub ? subElectron(executor) : undefined;
    const how = sub ? undefined : howOf(task, base + i, log);
    futures.push(
      sub ? sub(task.sub!, log, childBase(base, i), executor, ...args) : electronOf(task.variant, how!)(how!, ...args),
    );
    const waits = task.waits.map((w) => futures[w]);
    if (waits.length) ct.wait(futures[i] as ct.Future<unknown>, waits as Array<ct.Future<unknown>>);
  });
  return [argument(plan.returns, futures, inputs)];
}

function generated(plan: Plan, log: string, executor: string): unknown {
  return build(plan, log, 0, [], executor)[0];
}

/** A sublattice's body: its plan on its real inputs, then a final call on what the plan returns. */
function child(plan: Plan, log: string, base: number, executor: string, ...inputs: unknown[]): unknown {
  const returns = build(plan, log, base, inputs, executor)[0];
  return work0({ id: base + FINAL, log, fails: [], stalls: [], ms: 0 }, returns);
}

const subInline = ct.electron(ct.lattice(child, { name: "child", executor: "inline" }));
const subLocal = ct.electron(ct.lattice(child, { name: "child", executor: "local" }));
const subBullmq = ct.electron(ct.lattice(child, { name: "child", executor: "bullmq" }));

function subElectron(executor: string): (...args: unknown[]) => ct.Future<unknown> {
  const sub = executor === "inline" ? subInline : executor === "bullmq" ? subBullmq : subLocal;
  return sub as unknown as (...args: unknown[]) => ct.Future<unknown>;
}

export type GeneratedLattice = ct.Lattice<[Plan, string, string], unknown>;

/** The lattice of a plan, run on `executor` (its electrons and its sublattices' electrons). */
export function latticeFor(executor: string): GeneratedLattice {
  return ct.lattice(generated, { name: "generated", executor }) as GeneratedLattice;
}
