// Starting a dispatcher in this process: open the store, start the executors, resume what a previous
// process left unfinished, listen, and publish the address + token in the runtime file. `valence
// start` runs this in a background process; tests run it in their own.
import type { Executor } from "../executors/executor";
import { createExecutors, loadConfig, type ExecutorSet } from "../config";
import { Engine } from "./engine";
import { runtimeFile, defaultDataDir } from "../shared/paths";
import { privateDataDir } from "./private-dir";
import { CrashCounts } from "./quarantine";
import { redispatchFromStore } from "./redispatch";
import { Triggers } from "./triggers";
import { newToken, processAlive, readRuntimeFile, removeRuntimeFile, writeRuntimeFile } from "../shared/runtime-file";
import { serve } from "./server";
import { Store } from "./store/store";

export interface DispatcherOptions {
  /** Data directory (store, outputs, runtime file). Default: see paths.ts. */
  readonly dataDir?: string;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0: a free port. */
  readonly port?: number;
  /** Token clients must present. Default: a new random one. */
  readonly token?: string;
  readonly allowedOrigins?: readonly string[];
  /**
   * Executors by name, used as given (`config` is then not read). Default: those of `config`.
   */
  readonly executors?: Readonly<Record<string, Executor>>;
  /**
   * The config file (valence.config.json) to create executors from. Not looked for: `valence start`
   * finds it (--config, VALENCE_CONFIG, the project, the user config dir) and passes it here.
   * Default: none — the built-in local and inline executors (and bullmq), local by default.
   */
  readonly config?: string;
  /** Write the runtime file so clients find this dispatcher. Default true. */
  readonly publish?: boolean;
}

export interface RunningDispatcher {
  readonly url: string;
  readonly token: string;
  readonly dataDir: string;
  readonly engine: Engine;
  /** Dispatches resumed from a previous process. */
  readonly resumed: readonly string[];
  close(): Promise<void>;
}

export async function startDispatcher(options: DispatcherOptions = {}): Promise<RunningDispatcher> {
  const dataDir = options.dataDir ?? defaultDataDir();
  privateDataDir(dataDir);
  const publish = options.publish ?? true;
  const existing = publish ? readRuntimeFile(runtimeFile(dataDir)) : undefined;
  if (existing && existing.pid !== process.pid && processAlive(existing.pid, existing.startedAt)) {
    throw new Error(`a dispatcher is already running for ${dataDir}: ${existing.url} (pid ${existing.pid})`);
  }
  const set = await executorSet(options, dataDir);
  const executors = set.executors;
  // What a failed start opened is closed again, so the process can exit (it once kept listening).
  const undo: Array<() => unknown> = [];
  if (!options.executors) undo.push(() => Promise.allSettled(Object.values(executors).map((e) => e.close())));
  try {
    const store = Store.open(dataDir);
    undo.unshift(() => store.close());
    const engine = new Engine(store, executors, { defaultName: set.defaultName, configFile: set.configFile });
    undo.unshift(() => engine.close());
    const crashes = new CrashCounts(dataDir);
    const triggers = new Triggers(store, (id, triggerId) => redispatchFromStore(engine, store, id, { triggerId }));
    undo.unshift(() => triggers.close());
    const token = options.token ?? newToken();
    const startedAt = Date.now();
    let closing: Promise<void> | undefined;
    const close = (): Promise<void> =>
      (closing ??= (async () => {
        triggers.close();
        await server.close();
        await engine.close();
        store.close();
        crashes.clear();
        if (publish) removeRuntimeFile(runtimeFile(dataDir));
      })());
    const server = await serve(
      engine,
      {
        status: (how) => ({
          pid: process.pid,
          url: server.url,
          dataDir,
          startedAt,
          uptimeMs: Date.now() - startedAt,
          running: engine.running,
          memory: memoryUsage(how?.collectGarbage ?? false),
          executors: Object.fromEntries(Object.entries(executors).map(([name, e]) => [name, e.capacity])),
          executorTypes: set.types,
          defaultExecutor: set.defaultName,
          config: set.configFile ?? null,
          quarantined: engine.quarantined,
        }),
        shutdown: () => void close(),
        redispatch: (id, ask) => redispatchFromStore(engine, store, id, ask),
        triggers,
      },
      {
        token,
        ...(options.host !== undefined ? { host: options.host } : {}),
        ...(options.port !== undefined ? { port: options.port } : {}),
        ...(options.allowedOrigins ? { allowedOrigins: options.allowedOrigins } : {}),
      },
    );
    undo.unshift(() => server.close());
    const resumed = engine.resumeUnfinished(crashes);
    triggers.resume();
    if (publish)
      writeRuntimeFile(runtimeFile(dataDir), { url: server.url, token, pid: process.pid, startedAt, dataDir });
    return { url: server.url, token, dataDir, engine, resumed, close };
  } catch (error) {
    for (const step of undo)
      await Promise.resolve()
        .then(step)
        .catch(() => undefined);
    if (publish) removeRuntimeFile(runtimeFile(dataDir));
    throw error;
  }
}

/** The executors given, or those the config file (if any) asks for. */
async function executorSet(options: DispatcherOptions, dataDir: string): Promise<ExecutorSet> {
  if (!options.executors) return createExecutors(options.config ? loadConfig(options.config) : undefined, dataDir);
  const executors = options.executors;
  return {
    executors,
    types: Object.fromEntries(Object.entries(executors).map(([name, e]) => [name, e.name])),
    defaultName: "local",
    configFile: undefined,
  };
}

/**
 * The process's memory. With `collect` and node started with --expose-gc (the long fuzz run), after a
 * full GC: then `heapUsed` is what the dispatcher keeps, not what it has yet to collect.
 */
function memoryUsage(collect: boolean): NodeJS.MemoryUsage & { readonly afterGc: boolean } {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (collect && typeof gc === "function") gc();
  return { ...process.memoryUsage(), afterGc: collect && typeof gc === "function" };
}
