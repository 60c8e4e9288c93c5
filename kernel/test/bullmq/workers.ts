// Test support for the bullmq tests: real `valence worker` processes (the built CLI) against a test
// Redis, each with its output collected; `stop()` sends SIGTERM and waits, `kill()` is kill -9.
import { spawn, type ChildProcess } from "node:child_process";
import { cliMain as MAIN } from "../support/built.ts";

export interface SpawnedWorker {
  readonly id: string;
  readonly pid: number;
  readonly host: string;
  /** Every line it printed so far (stdout and stderr). */
  readonly lines: string[];
  readonly exited: Promise<number | null>;
  /** SIGTERM, then waits for the exit code (SIGKILL after 15 s). */
  stop(): Promise<number | null>;
  kill(): Promise<void>;
}

/** Starts `valence worker --redis <url> --grace 1 …args` and waits for its "ready" line. */
export function startWorker(redis: string, args: string[] = []): Promise<SpawnedWorker> {
  const child: ChildProcess = spawn(process.execPath, [MAIN, "worker", "--redis", redis, "--grace", "1", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  let partial = "";
  let onLine: (line: string) => void = () => undefined;
  const collect = (chunk: Buffer): void => {
    const parts = (partial + chunk.toString()).split("\n");
    partial = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      if (process.env.VALENCE_TEST_WORKER_LOG) console.error(`[worker ${child.pid}] ${line}`);
      onLine(line);
    }
  };
  child.stdout!.on("data", collect);
  child.stderr!.on("data", collect);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the worker did not get ready within 20 s:\n${lines.join("\n")}`));
    }, 20_000);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the worker exited with code ${code} before it was ready:\n${lines.join("\n")}`));
    });
    onLine = (line) => {
      const ready = /valence worker (\S+): ready: .*\(host (\S+), pid (\d+)\)/.exec(line);
      if (!ready) return;
      clearTimeout(timer);
      const [, id, host, pid] = ready;
      resolve({
        id: id!,
        host: host!,
        pid: Number(pid),
        lines,
        exited,
        async stop() {
          if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
          const timeout = setTimeout(() => child.kill("SIGKILL"), 15_000);
          const code = await exited;
          clearTimeout(timeout);
          return code;
        },
        async kill() {
          child.kill("SIGKILL");
          await exited;
        },
      });
    };
  });
}
