// The built-in "local" executor as a plugin module: `createExecutor(options)` makes a LocalExecutor
// from a config entry (`{ "type": "local", "maxWorkers": 4 }`) or the config's `local` section.
// Options are checked against schema/config.schema.json before they get here.
import type { ExecutorFactory } from "./plugin";
import { LocalExecutor, type LocalExecutorOptions } from "./local";

export const createExecutor: ExecutorFactory = (options) => new LocalExecutor(options as LocalExecutorOptions);
