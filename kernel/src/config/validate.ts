// Checks a parsed config document against schema/config.schema.json (ajv, loaded on first use) and
// the rules a schema cannot say, and words each problem as `at <JSON path>: <what is wrong>`.
import type { ErrorObject, ValidateFunction } from "ajv";
import { configSchema, type ValenceConfig } from "@valence/schema";
import { BUILT_IN_TYPES } from "../executors/plugin";

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (!compiled) {
    // Loaded here, not at import: clients import the config module only to find the file.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use (see above)
    const { Ajv } = require("ajv") as typeof import("ajv");
    compiled = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true }).compile(configSchema);
  }
  return compiled;
}

/** The problems of `document` as a config, empty when it is valid. */
export function configProblems(document: unknown): string[] {
  const validate = validator();
  if (!validate(document)) {
    return (validate.errors ?? []).filter((e) => e.keyword !== "if" && e.keyword !== "propertyNames").map(describe);
  }
  const config = document as ValenceConfig;
  const problems: string[] = [];
  for (const builtIn of ["local", "inline"] as const) {
    if (config[builtIn] && config.executors?.[builtIn]) {
      problems.push(
        `at ${builtIn}: the "${builtIn}" executor is configured twice, here and under executors.${builtIn}; keep one`,
      );
    }
  }
  const names = [...new Set([...BUILT_IN_TYPES, ...Object.keys(config.executors ?? {})])];
  if (config.defaultExecutor !== undefined && !names.includes(config.defaultExecutor)) {
    problems.push(
      `at defaultExecutor: there is no executor named "${config.defaultExecutor}" (executors: ${names.join(", ")})`,
    );
  }
  return problems;
}

function describe(error: ErrorObject): string {
  const at = `at ${jsonPath(error.instancePath)}`;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "additionalProperties": {
      const known = Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      const what = error.instancePath === "" ? "setting" : "option";
      return `${at}: unknown ${what} "${String(params.additionalProperty)}" (known: ${known.join(", ") || "none"})`;
    }
    case "required":
      return params.missingProperty === "type"
        ? `${at}: missing "type" (local, inline, bullmq, or the name of an npm package that exports createExecutor)`
        : `${at}: missing "${String(params.missingProperty)}"`;
    default:
      return `${at}: ${error.message ?? "is invalid"} (got ${JSON.stringify(error.data)})`;
  }
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
