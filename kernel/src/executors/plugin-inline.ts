// The built-in "inline" executor as a plugin module: `createExecutor(options)` makes an
// InlineExecutor from a config entry (`{ "type": "inline", "concurrency": 2 }`) or the config's
// `inline` section. Options are checked against schema/config.schema.json before they get here.
import type { ExecutorFactory } from "./plugin";
import { InlineExecutor, type InlineExecutorOptions } from "./inline";

export const createExecutor: ExecutorFactory = (options) => new InlineExecutor(options as InlineExecutorOptions);
