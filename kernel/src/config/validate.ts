// Checks a parsed config document against schema/config.schema.json (workflow/schema-check.ts) and
// the rules a schema cannot say, and words each problem as `at <JSON path>: <what is wrong>`.
import { configSchema, type ValenceConfig } from "@valence/schema";
import { BUILT_IN_TYPES } from "../executors/plugin";
import { compiledCheck, jsonPath, schemaProblems } from "../workflow/schema-check";

/** The problems of `document` as a config, empty when it is valid. */
export function configProblems(document: unknown): string[] {
  const check = compiledCheck(configSchema);
  if (!check(document)) {
    return schemaProblems(check, {
      place: (path) => `at ${jsonPath(path)}: `,
      noun: (path) => (path === "" ? "setting" : "option"),
    });
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

export { jsonPath };
