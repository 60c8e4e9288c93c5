// A real Redis for tests and benches: Debian's redis-server (installed through apt.mjs when missing)
// on a free loopback port, no persistence, a temporary directory. Plain JavaScript so every part of
// the project can use it (kernel tests, the Playwright suite, benches). `down()`/`up()` restart it.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

function ensureInstalled() {
  if (spawnSync("redis-server", ["--version"]).status === 0) return;
  execFileSync(process.execPath, [join(ROOT, "scripts", "apt.mjs"), "redis-server"], { stdio: "inherit" });
}

/** @returns {Promise<number>} */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = /** @type {import("node:net").AddressInfo} */ (server.address());
      server.close(() => resolve(port));
    });
  });
}

/**
 * @param {number} port
 * @param {string} dir
 * @param {string[]} extra
 * @returns {Promise<import("node:child_process").ChildProcess>}
 */
function launch(port, dir, extra) {
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir];
  const child = spawn("redis-server", [...args, ...extra], { stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`redis-server did not start within 10 s:\n${output}`));
    }, 10_000);
    /** @param {Buffer} chunk */
    const onData = (chunk) => {
      output += chunk.toString();
      if (!/Ready to accept connections/.test(output)) return;
      clearTimeout(timer);
      child.stdout.off("data", onData);
      child.stdout.resume();
      child.stderr.resume();
      resolve(child);
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", (/** @type {Buffer} */ chunk) => (output += chunk.toString()));
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with code ${code}:\n${output}`));
    });
  });
}

/** @param {import("node:child_process").ChildProcess} child @returns {Promise<void>} */
function end(child) {
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

/**
 * Starts a Redis server (requiring `password` if given); stop it when done.
 * @param {{ password?: string, args?: string[] }} [options] `args`: more redis-server arguments.
 * @returns {Promise<{ url: string, port: number, down(): Promise<void>, up(): Promise<void>, stop(): Promise<void> }>}
 */
export async function startRedis(options = {}) {
  ensureInstalled();
  const dir = mkdtempSync(join(tmpdir(), "valence-redis-"));
  const port = await freePort();
  const extra = [...(options.password ? ["--requirepass", options.password] : []), ...(options.args ?? [])];
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
