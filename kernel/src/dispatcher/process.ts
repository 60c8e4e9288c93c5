// The dispatcher as a process of its own: what `valence start --foreground` runs, and what a client
// starts in the background through the package's `valence-workflows/dispatcher` entry (main.ts).
// It finds its config, contains faults, serves until SIGINT/SIGTERM, and says where it listens.
import { setFlagsFromString } from "node:v8";
import { findConfigFile } from "../config";
import { startDispatcher } from "./start";

export interface DispatcherProcessOptions {
  readonly dataDir: string;
  readonly port?: string;
  readonly host?: string;
  readonly allowOrigin?: readonly string[];
  /** A config file named by the user (else the usual search from the working directory). */
  readonly config?: string;
}

/** Runs this process as the dispatcher; a start that fails exits with code 1. */
export async function runDispatcherProcess(options: DispatcherProcessOptions): Promise<void> {
  // A long-lived daemon: V8 collects old garbage once the heap has grown by half (not the default
  // 2-4x what is live): less RSS over a large dispatch.
  setFlagsFromString("--heap-growing-percent=50");
  const config = findConfigFile(options.config ? { flag: options.config } : {})?.path;
  // Valence's loader is registered here only when a lattice rebuilt for a redispatch or a
  // sublattice imports the user's modules (executors/loader-on-demand.ts).
  containFaults();
  const dispatcher = await startDispatcher({
    dataDir: options.dataDir,
    ...(options.port !== undefined ? { port: Number(options.port) } : {}),
    ...(options.host !== undefined ? { host: options.host } : {}),
    ...(options.allowOrigin ? { allowedOrigins: [...options.allowOrigin] } : {}),
    ...(config ? { config } : {}),
  }).catch((error: unknown) => {
    // A start that failed exits: startDispatcher closed what it opened, and nothing may keep it up.
    console.error(`valence: ${(error as Error).message ?? String(error)}`);
    process.exit(1);
  });
  console.log(`Valence dispatcher listening on ${dispatcher.url} (data: ${options.dataDir}, pid ${process.pid})`);
  console.log(`config: ${config ?? "none (built-in executors)"}`);
  if (dispatcher.resumed.length) console.log(`resumed ${dispatcher.resumed.length} unfinished dispatch(es)`);
  for (const q of dispatcher.engine.quarantined) console.log(`dispatch ${q.id} failed at start: ${q.reason}`);
  const stop = (): void => {
    void dispatcher.close().then(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

/**
 * The dispatcher serves every user's dispatches: an error that escapes one of them is logged and the
 * process goes on (what it belonged to fails or times out), instead of taking all of them down.
 */
function containFaults(): void {
  process.on("unhandledRejection", (reason) => {
    console.error(`valence: contained an unhandled rejection: ${(reason as Error)?.stack ?? String(reason)}`);
  });
  process.on("uncaughtException", (error) => {
    console.error(`valence: contained an uncaught exception: ${error.stack ?? error.message}`);
  });
}
