// Test support: a real Redis (Debian's redis-server, installed through scripts/apt.mjs when missing)
// on a free loopback port, with no persistence and a temporary directory; `stop()` ends it and
// removes the directory. `down()` and `up()` stop and start it again on the same port (its data is
// lost: no persistence), for tests of clients that must survive a Redis restart.
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export interface RunningRedis {
  readonly url: string;
  readonly port: number;
  down(): Promise<void>;
  up(): Promise<void>;
  stop(): Promise<void>;
}

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));

function ensureInstalled(): void {
  if (spawnSync("redis-server", ["--version"]).status === 0) return;
  execFileSync(process.execPath, [join(ROOT, "scripts", "apt.mjs"), "redis-server"], { stdio: "inherit" });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function launch(port: number, dir: string, extra: string[]): Promise<ChildProcess> {
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, ...extra],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`redis-server did not start within 10 s:\n${output}`));
    }, 10_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (/Ready to accept connections/.test(output)) {
        clearTimeout(timer);
        child.stdout!.off("data", onData);
        child.stdout!.resume();
        child.stderr!.resume();
        resolve(child);
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with code ${code}:\n${output}`));
    });
  });
}

function end(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/** Starts a Redis server for the calling test (requiring `password` if given); stop it in `after`. */
export async function startRedis(options: { password?: string } = {}): Promise<RunningRedis> {
  ensureInstalled();
  const dir = mkdtempSync(join(tmpdir(), "valence-redis-"));
  const port = await freePort();
  const extra = options.password ? ["--requirepass", options.password] : [];
  let child = await launch(port, dir, extra);
  const auth = options.password ? `:${encodeURIComponent(options.password)}@` : "";
  return {
    url: `redis://${auth}127.0.0.1:${port}`,
    port,
    async down() {
      await end(child);
    },
    async up() {
      child = await launch(port, dir, extra);
    },
    async stop() {
      await end(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
