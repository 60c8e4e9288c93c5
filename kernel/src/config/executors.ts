// The executors a dispatcher starts with, from its config: the built-in local and inline (options
// from the `local` / `inline` sections), every named entry under `executors` (built-in types or
// plugin packages), and the built-in bullmq when no entry takes that name. Created once, at start.
import type { ExecutorEntry } from "@valence/schema";
import type { Executor } from "../executors/executor";
import { createExecutorOfType, isBuiltInAvailable } from "../executors/plugin";
import type { LoadedConfig } from "./load";

export interface ExecutorSet {
  readonly executors: Readonly<Record<string, Executor>>;
  /** Each executor's type: "local", "inline", "bullmq" or a package name. */
  readonly types: Readonly<Record<string, string>>;
  /** The executor of electrons that name none. */
  readonly defaultName: string;
  /** The config file they came from; undefined: none. */
  readonly configFile: string | undefined;
}

/** The built-in bullmq executor's name when the config has no entry for it (defaults from the environment). */
const IMPLICIT_BULLMQ = "bullmq";

/**
 * Creates every executor `config` asks for (without a config: local and inline). A configured
 * executor that cannot be created fails the whole start, naming the file and the executor; those
 * already created are closed. The implicit bullmq executor is skipped, with a warning, if it fails.
 */
export async function createExecutors(config: LoadedConfig | undefined, dataDir: string): Promise<ExecutorSet> {
  const document = config?.document ?? {};
  const entries: Record<string, ExecutorEntry> = {
    local: { type: "local", ...document.local },
    inline: { type: "inline", ...document.inline },
    ...document.executors,
  };
  const executors: Record<string, Executor> = {};
  const types: Record<string, string> = {};
  try {
    for (const [name, { type, ...options }] of Object.entries(entries)) {
      executors[name] = await createExecutorOfType(type, options, { name, dataDir }, config?.dir);
      types[name] = type;
    }
  } catch (error) {
    await Promise.allSettled(Object.values(executors).map((executor) => executor.close()));
    // Named after the file, keeping the error (and its cause: where a plugin threw) as it is.
    if (config && error instanceof Error) error.message = `config ${config.file}: ${error.message}`;
    throw error;
  }
  if (!(IMPLICIT_BULLMQ in entries) && isBuiltInAvailable("bullmq")) {
    try {
      executors[IMPLICIT_BULLMQ] = await createExecutorOfType("bullmq", {}, { name: IMPLICIT_BULLMQ, dataDir });
      types[IMPLICIT_BULLMQ] = "bullmq";
    } catch (error) {
      console.warn(`warning: the bullmq executor is not available: ${(error as Error).message}`);
    }
  }
  return {
    executors,
    types,
    defaultName: document.defaultExecutor ?? "local",
    configFile: config?.file,
  };
}
