// `valence start | stop | status`: the user's long-lived dispatcher. `start` runs it in the
// background (or in this terminal with --foreground) with the config file found from here; `stop`
// asks it to shut down cleanly; `status` shows it, its config file and its executors.
import { configStartArgs } from "../config";
import { defaultDataDir, runtimeFile } from "../shared/paths";
import { processAlive, readRuntimeFile } from "../shared/runtime-file";
import { runDispatcherProcess } from "../dispatcher/process";
import { published, request, startInBackground } from "../client/connection";

export interface StartOptions {
  readonly port?: string;
  readonly host?: string;
  readonly dataDir?: string;
  readonly foreground?: boolean;
  readonly allowOrigin?: string[];
  readonly config?: string;
}

export async function start(options: StartOptions): Promise<void> {
  const dataDir = options.dataDir ?? defaultDataDir();
  if (options.foreground) {
    return runDispatcherProcess({
      dataDir,
      ...(options.port !== undefined ? { port: options.port } : {}),
      ...(options.host !== undefined ? { host: options.host } : {}),
      ...(options.allowOrigin ? { allowOrigin: options.allowOrigin } : {}),
      ...(options.config !== undefined ? { config: options.config } : {}),
    });
  }
  const configArgs = configStartArgs(options.config ? { flag: options.config } : {});
  const running = await published(dataDir);
  if (running) {
    console.log(`Valence dispatcher already running at ${running.url}`);
    const { config } = await request<{ config?: string | null }>(running, "GET", "/api/v1/status");
    const wanted = configArgs[1] ?? null;
    if ((config ?? null) !== wanted) {
      console.log(`  with config ${config ?? "none"}, not ${wanted ?? "none"}: \`valence stop\` it first to change`);
    }
    return;
  }
  const args = [
    ...configArgs,
    ...(options.port !== undefined ? ["--port", options.port] : []),
    ...(options.host !== undefined ? ["--host", options.host] : []),
    ...(options.allowOrigin ?? []).flatMap((origin) => ["--allow-origin", origin]),
  ];
  const connection = await startInBackground(dataDir, args);
  console.log(`Valence dispatcher started at ${connection.url} (data: ${dataDir})`);
}

export async function stop(options: { dataDir?: string }): Promise<void> {
  const dataDir = options.dataDir ?? defaultDataDir();
  const info = readRuntimeFile(runtimeFile(dataDir));
  if (!info || !(await published(dataDir))) {
    console.log("no Valence dispatcher is running");
    return;
  }
  await request(info, "POST", "/api/v1/shutdown");
  const deadline = Date.now() + 10_000;
  while (processAlive(info.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (processAlive(info.pid)) process.kill(info.pid, "SIGKILL");
  console.log(`Valence dispatcher at ${info.url} stopped`);
}

export async function status(options: { dataDir?: string }): Promise<void> {
  const dataDir = options.dataDir ?? defaultDataDir();
  const connection = await published(dataDir);
  if (!connection) {
    console.log(`no Valence dispatcher is running (data: ${dataDir})`);
    process.exitCode = 1;
    return;
  }
  const s = await request<{
    pid: number;
    uptimeMs: number;
    running: number;
    executors: Record<string, unknown>;
    executorTypes?: Record<string, string>;
    defaultExecutor?: string;
    config?: string | null;
    memory: { rss: number; heapUsed: number };
    quarantined?: Array<{ id: string; reason: string }>;
  }>(connection, "GET", "/api/v1/status");
  console.log(`Valence dispatcher at ${connection.url}`);
  console.log(`  pid ${s.pid}, up ${(s.uptimeMs / 1000).toFixed(0)} s, ${s.running} dispatch(es) running`);
  console.log(
    `  memory: ${(s.memory.rss / 2 ** 20).toFixed(0)} MB resident, ${(s.memory.heapUsed / 2 ** 20).toFixed(0)} MB heap`,
  );
  console.log(`  data: ${dataDir}`);
  console.log(`  config: ${s.config ?? "none (built-in executors)"}`);
  console.log(`  executors:`);
  for (const name of Object.keys(s.executors)) {
    const type = s.executorTypes?.[name] ?? "?";
    console.log(`    ${name} → ${type}${name === s.defaultExecutor ? " (default)" : ""}`);
  }
  if (s.quarantined?.length) {
    console.log(`  failed at start instead of resumed:`);
    for (const q of s.quarantined) console.log(`    ${q.id}: ${q.reason}`);
  }
}
