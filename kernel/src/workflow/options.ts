// The options users give to electron() and lattice(): declared and documented here, validated once
// when the electron or lattice is defined, so a typo fails at the definition, not at dispatch.
import { z } from "zod";
import { WorkflowError } from "./errors";

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
  /** Wall-clock limit per attempt, in milliseconds; the attempt fails when it is exceeded. Default: none. */
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

const hook = z.custom<Hook>((v) => typeof v === "function", { message: "expected a function" });
const hooks = z.union([hook, z.array(hook)]);

const resourcesSchema = z.strictObject({
  cpus: z.number().positive().optional(),
  memoryMB: z.number().positive().optional(),
  gpus: z.number().int().nonnegative().optional(),
});

const electronOptionsSchema = z.strictObject({
  name: z.string().min(1).optional(),
  executor: z.string().min(1).optional(),
  resources: resourcesSchema.optional(),
  retries: z.number().int().nonnegative().optional(),
  timeoutMs: z.number().positive().optional(),
  deps: z.strictObject({ npm: z.array(z.string().min(1)).optional() }).optional(),
  callBefore: hooks.optional(),
  callAfter: hooks.optional(),
  cache: z.boolean().optional(),
  outputLength: z.number().int().nonnegative().optional(),
});

const latticeOptionsSchema = z.strictObject({
  name: z.string().min(1).optional(),
  executor: z.string().min(1).optional(),
  cache: z.boolean().optional(),
});

function check<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const path = issue.path.length ? `options.${issue.path.join(".")}` : "options";
    if (issue.code === "unrecognized_keys") return issue.keys.map((key) => unknownOption(key, schema)).join("; ");
    return `${path}: ${issue.message}`;
  });
  throw new WorkflowError("INVALID_OPTIONS", `${what}: ${problems.join("; ")}`);
}

function unknownOption(key: string, schema: z.ZodType): string {
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
  return check(electronOptionsSchema, options, `electron "${electronName}"`);
}

export function validateLatticeOptions(options: unknown, latticeName: string): LatticeOptions {
  return check(latticeOptionsSchema, options, `lattice "${latticeName}"`);
}

/** Hooks as an array, whichever form the user gave. */
export function hookList(hooks: Hook | Hook[] | undefined): Hook[] {
  if (hooks === undefined) return [];
  return Array.isArray(hooks) ? hooks : [hooks];
}
