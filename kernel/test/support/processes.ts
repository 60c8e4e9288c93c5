// Test support for fault tests: the real processes a bullmq deployment is made of, each started from
// the built CLI with its output collected line by line —
//   - a dispatcher (`valence start --foreground --data-dir …`) whose implicit bullmq executor takes
//     its Redis from VALENCE_REDIS_URL, with no config file (cwd and XDG_CONFIG_HOME are its data
//     directory); `use()` points this process's client at it;
//   - `valence worker` processes, optionally run inside a network namespace (`ip netns exec`).
// `kill()` is kill -9; `stop()` is SIGTERM, then SIGKILL after a bound.
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { pointClientAt } from "./dispatcher.ts";

export { forgetDispatcher } from "./dispatcher.ts";
import { readRuntimeFile } from "#src/shared/runtime-file.js";
import { cliMain as MAIN } from "./built.ts";

export interface RunningProcess {
  readonly pid: number;
  /** Every line it printed so far (stdout and stderr). */
  readonly lines: string[];
  readonly exited: Promise<number | null>;
  /** Whether it is still running. */
  readonly alive: boolean;
  /** Resolves with the first line (already printed or yet to come) matching `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** SIGTERM, then waits for the exit code (SIGKILL after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<number | null>;
  /** kill -9, and waits until it is gone. */
  kill(): Promise<void>;
}

/** Spawns `command args` and collects its output; `tag` prefixes echoed lines (VALENCE_TEST_PROCESS_LOG=1). */
export function spawnProcess(
  command: string,
  args: string[],
  tag: string,
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): RunningProcess {
  const child: ChildProcess = spawn(command, args, {
    stdio: ["ignore", "pipe", "pipe"],
    env: options.env ?? process.env,
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  const lines: string[] = [];
  const waiters = new Set<{ pattern: RegExp; resolve: (line: string) => void }>();
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  let partial = "";
  const collect = (chunk: Buffer): void => {
    const parts = (partial + chunk.toString()).split("\n");
    partial = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      if (process.env.VALENCE_TEST_PROCESS_LOG) console.error(`[${tag} ${child.pid}] ${line}`);
      for (const waiter of waiters) {
        if (!waiter.pattern.test(line)) continue;
        waiters.delete(waiter);
        waiter.resolve(line);
      }
    }
  };
  child.stdout!.on("data", collect);
  child.stderr!.on("data", collect);
  const gone = (): boolean => child.exitCode !== null || child.signalCode !== null;
  return {
    pid: child.pid!,
    lines,
    exited,
    get alive() {
      return !gone();
    },
    waitFor(pattern, timeoutMs = 20_000) {
      const seen = lines.find((line) => pattern.test(line));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise<string>((resolve, reject) => {
        const waiter = {
          pattern,
          resolve: (line: string) => {
            clearTimeout(timer);
            resolve(line);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`${tag} ${child.pid}: no line matching ${pattern} within ${timeoutMs} ms:\n${tail(lines)}`));
        }, timeoutMs);
        waiters.add(waiter);
        void exited.then((code) => {
          if (!waiters.delete(waiter)) return;
          clearTimeout(timer);
          reject(new Error(`${tag} ${child.pid} exited (${code}) before a line matching ${pattern}:\n${tail(lines)}`));
        });
      });
    },
    async stop(timeoutMs = 15_000) {
      if (!gone()) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    async kill() {
      if (!gone()) child.kill("SIGKILL");
      await exited;
    },
  };
}

function tail(lines: string[]): string {
  return lines.slice(-40).join("\n");
}

export interface DispatcherProcess extends RunningProcess {
  readonly url: string;
  readonly token: string;
  /** Points this process's client (ct.dispatch, ct.getResult…) at this dispatcher. */
  use(): void;
}

/**
 * Starts `valence start --foreground --data-dir <dataDir>` with VALENCE_REDIS_URL=`redis` and waits
 * until it listens (and, when it resumes dispatches, says so).
 */
export async function startDispatcherProcess(dataDir: string, redis: string): Promise<DispatcherProcess> {
  const env: NodeJS.ProcessEnv = { ...process.env, VALENCE_REDIS_URL: redis, XDG_CONFIG_HOME: dataDir };
  for (const name of ["VALENCE_CONFIG", "VALENCE_DISPATCHER_URL", "VALENCE_DISPATCHER_TOKEN"]) delete env[name];
  const child = spawnProcess(process.execPath, [MAIN, "start", "--foreground", "--data-dir", dataDir], "dispatcher", {
    env,
    cwd: dataDir,
  });
  try {
    await child.waitFor(/listening on/, 30_000);
    await child.waitFor(/^config: /, 5_000);
  } catch (error) {
    await child.kill();
    throw error;
  }
  const info = readRuntimeFile(join(dataDir, "dispatcher.json"));
  if (!info || info.pid !== child.pid) {
    await child.kill();
    throw new Error(`the dispatcher (pid ${child.pid}) wrote no runtime file in ${dataDir}`);
  }
  return withFields<Pick<DispatcherProcess, "url" | "token" | "use">>(child, {
    url: info.url,
    token: info.token,
    use() {
      pointClientAt(info);
    },
  });
}

/** Forgets the dispatcher the client was pointed at. */

export interface WorkerProcess extends RunningProcess {
  readonly id: string;
  readonly host: string;
}

/**
 * Starts `valence worker --redis <url> --grace 1 …args` (inside network namespace `netns` when
 * given: `ip netns exec` keeps the pid) and waits for its "ready" line.
 */
export async function startWorkerProcess(
  redis: string,
  args: string[] = [],
  options: { netns?: string } = {},
): Promise<WorkerProcess> {
  const argv = [MAIN, "worker", "--redis", redis, "--grace", "1", ...args];
  const child = options.netns
    ? spawnProcess("ip", ["netns", "exec", options.netns, process.execPath, ...argv], `worker@${options.netns}`)
    : spawnProcess(process.execPath, argv, "worker");
  let ready: string;
  try {
    ready = await child.waitFor(/valence worker (\S+): ready: .*\(host (\S+), pid (\d+)\)/, 30_000);
  } catch (error) {
    await child.kill();
    throw error;
  }
  const [, id, host, pid] = /valence worker (\S+): ready: .*\(host (\S+), pid (\d+)\)/.exec(ready)!;
  if (Number(pid) !== child.pid) {
    await child.kill();
    throw new Error(`the worker says pid ${pid}, but ${child.pid} was started`);
  }
  return withFields(child, { id: id!, host: host! });
}

/** `process` with extra fields, keeping its getters (alive) live. */
function withFields<T extends object>(process: RunningProcess, fields: T): RunningProcess & T {
  return Object.defineProperties(
    Object.create(process) as RunningProcess,
    Object.getOwnPropertyDescriptors(fields),
  ) as RunningProcess & T;
}
