// Runtime checks compiled from the JSON Schemas of schema/ (ajv, with ajv-errors for the messages a
// schema writes in words; loaded on first use): one validator library for every contract, and one
// wording of its problems, each naming where it is.
import type { AnySchemaObject, ErrorObject, ValidateFunction } from "ajv";
import type AjvClass from "ajv";

let ajv: AjvClass | undefined;

function instance(): AjvClass {
  if (!ajv) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first check: ajv is large
    const { Ajv } = require("ajv") as typeof import("ajv");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const withErrorMessages = require("ajv-errors") as (ajv: AjvClass) => AjvClass;
    ajv = withErrorMessages(new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true }));
    // The generator's annotation, and the one check JSON Schema has no word for (electron hooks).
    ajv.addKeyword("tsType");
    ajv.addKeyword({
      keyword: "isFunction",
      schemaType: "boolean",
      validate: (expected: boolean, data: unknown) => (typeof data === "function") === expected,
    });
  }
  return ajv;
}

/**
 * The check of `schema` as a whole, or of one of its definitions (`#/definitions/<name>`); compiled
 * once. `references`: the other schemas its `$ref`s point into.
 */
export function compiledCheck<T = unknown>(
  schema: AnySchemaObject,
  definition?: string,
  references: readonly AnySchemaObject[] = [],
): ValidateFunction<T> {
  const id = schema.$id;
  if (typeof id !== "string") throw new TypeError("a schema checked by name needs an $id");
  const key = definition ? `${id}#/definitions/${definition}` : id;
  // Looked up per message on hot paths (every BullMQ result): resolved once, then from this map.
  let check = checks.get(key);
  if (!check) {
    const ajv = instance();
    for (const other of [...references, schema]) if (!ajv.getSchema(other.$id!)) ajv.addSchema(other);
    check = ajv.getSchema(key);
    if (!check) throw new TypeError(`no definition "${definition}" in ${id}`);
    checks.set(key, check);
  }
  return check as ValidateFunction<T>;
}

const checks = new Map<string, ValidateFunction>();

/** A copy without the keys set to undefined: an option set to undefined is not given (JSON has no undefined). */
export function withoutUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutUndefined);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, withoutUndefined(v)]),
  );
}

/** How a problem names where it is. */
export interface Wording {
  /** The place, from its JSON pointer: config files say `at executors.mine.redis:`, options say `redis`. */
  readonly place: (path: string) => string;
  /** What an unknown key of the object at this pointer is called: "setting", "option". */
  readonly noun: (path: string) => string;
}

/** The problems `check` found in its last value, worded as `<place> <what is wrong>`; empty when it passed. */
export function schemaProblems(check: ValidateFunction, wording: Wording): string[] {
  const errors = (check.errors ?? []).filter((e) => e.keyword !== "if" && e.keyword !== "propertyNames");
  const unknown = errors.filter((e) => e.keyword === "additionalProperties");
  const problems = errors.filter((e) => e.keyword !== "additionalProperties").map((e) => describe(e, wording));
  // Unknown keys, grouped by the object they are in: a close known key is suggested, else all are listed.
  const byObject = new Map<string, ErrorObject[]>();
  for (const error of unknown) byObject.set(error.instancePath, [...(byObject.get(error.instancePath) ?? []), error]);
  for (const [path, list] of byObject) {
    const keys = list.map((e) => String((e.params as { additionalProperty: unknown }).additionalProperty));
    const known = Object.keys((list[0]!.parentSchema as { properties?: object } | undefined)?.properties ?? {});
    const noun = wording.noun(path);
    for (const key of keys) {
      const close = known.find(
        (name) => editDistance(name.toLowerCase(), key.toLowerCase()) <= (name.length > 5 ? 3 : 2),
      );
      const hint = close ? `did you mean "${close}"?` : `known: ${known.join(", ") || "none"}`;
      problems.unshift(`${wording.place(path)}unknown ${noun} "${key}" (${hint})`);
    }
  }
  return problems;
}

function describe(error: ErrorObject, wording: Wording): string {
  const at = wording.place(error.instancePath);
  const params = error.params as Record<string, unknown>;
  if (error.keyword === "errorMessage") return `${at}${error.message}`;
  if (error.keyword === "required") {
    return params.missingProperty === "type"
      ? `${at}missing "type" (local, inline, bullmq, or the name of an npm package that exports createExecutor)`
      : `${at}missing "${String(params.missingProperty)}"`;
  }
  return `${at}${error.message ?? "is invalid"} (got ${JSON.stringify(error.data)})`;
}

/** A JSON pointer as a path a reader knows: `executors["gpu-queue"].redis`, `(top level)` for "". */
export function jsonPath(pointer: string): string {
  if (pointer === "") return "(top level)";
  const keys = pointer
    .slice(1)
    .split("/")
    .map((k) => k.replaceAll("~1", "/").replaceAll("~0", "~"));
  return keys
    .map((key, i) => {
      if (/^\d+$/.test(key)) return `[${key}]`;
      if (/^[A-Za-z_$][\w$]*$/.test(key)) return i === 0 ? key : `.${key}`;
      return `[${JSON.stringify(key)}]`;
    })
    .join("");
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
