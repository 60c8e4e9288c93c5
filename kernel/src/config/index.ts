// Valence's config file (valence.config.json): finding it, reading and validating it against
// schema/config.schema.json, and creating the executors it names. The dispatcher reads it at start;
// clients only find it, to pass it on to a dispatcher they start.
export { ConfigError } from "./error";
export {
  findConfigFile,
  userConfigFile,
  PROJECT_CONFIG,
  type FoundConfig,
  type ConfigSource,
  type FindConfigOptions,
} from "./find";
export { loadConfig, type LoadedConfig } from "./load";
export { configProblems, jsonPath } from "./validate";
export { createExecutors, type ExecutorSet } from "./executors";
export { configStartArgs } from "./start-args";
