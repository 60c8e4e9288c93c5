// The options users give to electron() and lattice(): declared and documented here, validated once
// when the electron or lattice is defined, so a typo fails at the definition, not at dispatch.
// zod (megabytes of heap) loads only for options that are not plainly valid: rebuilding an electron in a
// worker or the dispatcher checks options that were valid when written, and needs no zod.
import type { z as Zod } from "zod";
import { WorkflowError } from "./errors";
import { npmSpecProblem } from "./npm-specs";

/** A function run on the worker before or after an electron (Covalent's call_before / call_after). */
export type Hook = () => unknown;

/** What a task needs from the machine that runs it; the scheduler never overcommits these. */
export interface Resources {
  /** CPU cores reserved for the task. Default 1. */
  cpus?: number;
  /** Memory reserved and enforced for the task, in MiB. Default: the executor's per-task default. */
  memoryMB?: number;
  /** GPUs the task needs; such tasks only go where GPUs are declared. Default 0. */
  gpus?: number;
}

export interface ElectronOptions {
  /** Name shown in the graph and results. Default: the function's name, else "anonymous". */
  name?: string;
  /** Executor that runs the task ("local", "inline", "bullmq", or a named config). Default: the lattice's, else "local". */
  executor?: string;
  resources?: Resources;
  /** Extra attempts after a failure. Default 0. */
  retries?: number;
  /**
   * Wall-clock limit per attempt, in milliseconds, from when the task's own code starts (after its
   * worker rebuilt the electron and installed its `deps`); the attempt fails when it is exceeded.
   * Default: none.
   */
  timeoutMs?: number;
  /** npm packages the task needs, installed once into an environment the worker uses. */
  deps?: { npm?: string[] };
  /** Hooks run on the worker before / after the task. */
  callBefore?: Hook | Hook[];
  callAfter?: Hook | Hook[];
  /** Reuse a stored output when code and inputs are unchanged. Default false. */
  cache?: boolean;
  /**
   * How many items the output has, when it is an array. Lets `for…of` and spread iterate the future
   * in a lattice body; destructuring works without it.
   */
  outputLength?: number;
}

export interface LatticeOptions {
  /** Name of the workflow. Default: the function's name, else "anonymous". */
  name?: string;
  /** Default executor for the lattice's electrons that name none. */
  executor?: string;
  /** Default `cache` for the lattice's electrons that set none. */
  cache?: boolean;
}

type Schemas = ReturnType<typeof makeSchemas>;
let schemas: Schemas | undefined;

function makeSchemas() {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first need (see above)
  const { z } = require("zod") as { z: typeof Zod };
  const hook = z.custom<Hook>((v) => typeof v === "function", { message: "expected a function" });
  const hooks = z.union([hook, z.array(hook)]);
  const resources = z.strictObject({
    cpus: z.number().positive().optional(),
    memoryMB: z.number().positive().optional(),
    gpus: z.number().int().nonnegative().optional(),
  });
  return {
    z,
    electron: z.strictObject({
      name: z.string().min(1).optional(),
      executor: z.string().min(1).optional(),
      resources: resources.optional(),
      retries: z.number().int().nonnegative().optional(),
      timeoutMs: z.number().positive().optional(),
      deps: z.strictObject({ npm: z.array(z.string().superRefine(npmSpecIssue)).optional() }).optional(),
      callBefore: hooks.optional(),
      callAfter: hooks.optional(),
      cache: z.boolean().optional(),
      outputLength: z.number().int().nonnegative().optional(),
    }),
    lattice: z.strictObject({
      name: z.string().min(1).optional(),
      executor: z.string().min(1).optional(),
      cache: z.boolean().optional(),
    }),
  };
}

function npmSpecIssue(spec: string, context: Zod.core.$RefinementCtx<string>): void {
  const problem = npmSpecProblem(spec);
  if (problem) context.addIssue({ code: "custom", message: problem });
}

function check<T>(kind: "electron" | "lattice", value: unknown, what: string): T {
  const { z, [kind]: schema } = (schemas ??= makeSchemas());
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data as T;
  const problems = parsed.error.issues.map((issue) => {
    const path = issue.path.length ? `options.${issue.path.join(".")}` : "options";
    if (issue.code === "unrecognized_keys") return issue.keys.map((key) => unknownOption(key, schema, z)).join("; ");
    return `${path}: ${issue.message}`;
  });
  throw new WorkflowError("INVALID_OPTIONS", `${what}: ${problems.join("; ")}`);
}

function unknownOption(key: string, schema: Zod.ZodType, z: typeof Zod): string {
  const known = schema instanceof z.ZodObject ? Object.keys(schema.shape as object) : [];
  const close = known.find((name) => editDistance(name.toLowerCase(), key.toLowerCase()) <= (name.length > 5 ? 3 : 2));
  return `unknown option "${key}"${close ? ` (did you mean "${close}"?)` : ""}`;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[b.length]!;
}

export function validateElectronOptions(options: unknown, electronName: string): ElectronOptions {
  return plainly(options, ELECTRON) ?? check("electron", options, `electron "${electronName}"`);
}

export function validateLatticeOptions(options: unknown, latticeName: string): LatticeOptions {
  return plainly(options, LATTICE) ?? check("lattice", options, `lattice "${latticeName}"`);
}

/** Hooks as an array, whichever form the user gave. */
export function hookList(hooks: Hook | Hook[] | undefined): Hook[] {
  if (hooks === undefined) return [];
  return Array.isArray(hooks) ? hooks : [hooks];
}

// Without zod: options that the schemas above certainly accept, copied as zod copies them (keys in
// schema order, nested objects and arrays new). Anything else — including every invalid value —
// goes to zod, which decides and explains; these checks are only ever stricter than the schemas.
type Check = (value: unknown) => unknown;
const positive = (v: unknown): boolean => typeof v === "number" && Number.isFinite(v) && v > 0;
const count = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;
const text = (v: unknown): boolean => typeof v === "string" && v.length > 0;
const isHook = (v: unknown): boolean => typeof v === "function";
const same =
  (test: (v: unknown) => boolean): Check =>
  (v) =>
    test(v) ? v : FAIL;
const hooksCheck: Check = (v) => (isHook(v) ? v : Array.isArray(v) && v.every(isHook) ? [...v] : FAIL);
const FAIL = Symbol("not plainly valid");

function shape(fields: Record<string, Check>): Check {
  const keys = Object.keys(fields);
  return (value) => {
    if (typeof value !== "object" || value === null || Object.getPrototypeOf(value) !== Object.prototype) return FAIL;
    const input = value as Record<string, unknown>;
    for (const key of Object.keys(input)) if (!(key in fields)) return FAIL;
    const out: Record<string, unknown> = {};
    for (const key of keys) {
      if (!Object.hasOwn(input, key)) continue;
      const v = input[key];
      const checked = v === undefined ? undefined : fields[key]!(v);
      if (checked === FAIL) return FAIL;
      out[key] = checked;
    }
    return out;
  };
}

const ELECTRON = shape({
  name: same(text),
  executor: same(text),
  resources: shape({ cpus: same(positive), memoryMB: same(positive), gpus: same(count) }),
  retries: same(count),
  timeoutMs: same(positive),
  deps: shape({ npm: (v) => (Array.isArray(v) && v.every((spec) => !npmSpecProblem(spec)) ? [...v] : FAIL) }),
  callBefore: hooksCheck,
  callAfter: hooksCheck,
  cache: same((v) => typeof v === "boolean"),
  outputLength: same(count),
});
const LATTICE = shape({ name: same(text), executor: same(text), cache: same((v) => typeof v === "boolean") });

function plainly<T>(options: unknown, check: Check): T | undefined {
  const checked = check(options ?? {});
  return checked === FAIL ? undefined : (checked as T);
}
