// The options users give to electron() and lattice(): their shape, docs and checks are
// schema/options.schema.json's, checked once when the electron or lattice is defined, so a typo fails
// at the definition, not at dispatch. ajv (workflow/schema-check.ts) loads only for options that are
// not plainly valid: rebuilding an electron in a worker or the dispatcher checks options that were
// valid when written, and needs no validator.
import { dagSchema, optionsSchema, type ElectronOptions, type LatticeOptions } from "@valence/schema";
import { WorkflowError } from "./errors";
import { npmSpecProblem } from "./npm-specs";
import { compiledCheck, jsonPath, schemaProblems, withoutUndefined } from "./schema-check";

export type { ElectronOptions, LatticeOptions, Resources } from "@valence/schema";

/** A function run on the worker before or after an electron (Covalent's call_before / call_after). */
export type Hook = () => unknown;

function check<T>(kind: "electronOptions" | "latticeOptions", value: unknown, what: string): T {
  const options = withoutUndefined(value ?? {});
  const validate = compiledCheck(optionsSchema, kind, [dagSchema]);
  const problems = validate(options)
    ? npmSpecProblems(options)
    : schemaProblems(validate, { place: (path) => (path ? `options.${jsonPath(path)}: ` : ""), noun: () => "option" });
  if (problems.length) throw new WorkflowError("INVALID_OPTIONS", `${what}: ${problems.join("; ")}`);
  return options as T;
}

/** What the schema cannot say: each deps.npm entry is a spec npm would install (npm-specs.ts). */
function npmSpecProblems(options: unknown): string[] {
  const specs = (options as { deps?: { npm?: unknown[] } }).deps?.npm ?? [];
  return specs.flatMap((spec, i) => {
    const problem = npmSpecProblem(spec as string);
    return problem ? [`options.deps.npm[${i}]: ${problem}`] : [];
  });
}

export function validateElectronOptions(options: unknown, electronName: string): ElectronOptions {
  return plainly(options, ELECTRON) ?? check("electronOptions", options, `electron "${electronName}"`);
}

export function validateLatticeOptions(options: unknown, latticeName: string): LatticeOptions {
  return plainly(options, LATTICE) ?? check("latticeOptions", options, `lattice "${latticeName}"`);
}

/** Hooks as an array, whichever form the user gave. */
export function hookList(hooks: Hook | Hook[] | undefined): Hook[] {
  if (hooks === undefined) return [];
  return Array.isArray(hooks) ? hooks : [hooks];
}

// Without ajv: options that options.schema.json certainly accepts, copied (keys in schema order, nested
// objects and arrays new). Anything else — including every invalid value — goes to the schema's
// check, which decides and explains; these checks are only ever stricter than the schema.
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
  deps: shape({
    npm: (v) => (Array.isArray(v) && v.every((spec) => !npmSpecProblem(spec)) ? [...v] : FAIL),
    bash: (v) => (Array.isArray(v) && v.every(text) ? [...v] : FAIL),
  }),
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
