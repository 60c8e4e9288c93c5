// Starting a dispatcher in this process: open the store, start the executors, resume what a previous
// process left unfinished, listen, and publish the address + token in the runtime file. `valence
// start` runs this in a background process; tests run it in their own.
import { mkdirSync } from "node:fs";
import type { Executor } from "../executors/executor";
import { InlineExecutor, LocalExecutor } from "../executors";
import { Engine } from "./engine";
import { runtimeFile, defaultDataDir } from "./paths";
import { redispatchFromStore } from "./redispatch";
import { newToken, processAlive, readRuntimeFile, removeRuntimeFile, writeRuntimeFile } from "./runtime-file";
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
  /** Executors by name. Default: `local` (worker threads) and `inline`. */
  readonly executors?: Readonly<Record<string, Executor>>;
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
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const publish = options.publish ?? true;
  const existing = publish ? readRuntimeFile(runtimeFile(dataDir)) : undefined;
  if (existing && existing.pid !== process.pid && processAlive(existing.pid)) {
    throw new Error(`a dispatcher is already running for ${dataDir}: ${existing.url} (pid ${existing.pid})`);
  }
  const store = Store.open(dataDir);
  const executors = options.executors ?? { local: new LocalExecutor(), inline: new InlineExecutor() };
  const engine = new Engine(store, executors);
  const token = options.token ?? newToken();
  const startedAt = Date.now();
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      await server.close();
      await engine.close();
      store.close();
      if (publish) removeRuntimeFile(runtimeFile(dataDir));
    })());
  const server = await serve(
    engine,
    {
      status: () => ({
        pid: process.pid,
        url: server.url,
        dataDir,
        startedAt,
        uptimeMs: Date.now() - startedAt,
        running: engine.running,
        memory: process.memoryUsage(),
        executors: Object.fromEntries(Object.entries(executors).map(([name, e]) => [name, e.capacity])),
      }),
      shutdown: () => void close(),
      redispatch: (id, inputs, reuse) => redispatchFromStore(engine, store, id, inputs, reuse),
    },
    {
      token,
      ...(options.host !== undefined ? { host: options.host } : {}),
      ...(options.port !== undefined ? { port: options.port } : {}),
      ...(options.allowedOrigins ? { allowedOrigins: options.allowedOrigins } : {}),
    },
  );
  const resumed = engine.resumeUnfinished();
  if (publish) writeRuntimeFile(runtimeFile(dataDir), { url: server.url, token, pid: process.pid, startedAt, dataDir });
  return { url: server.url, token, dataDir, engine, resumed, close };
}
