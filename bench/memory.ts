// Dispatcher memory at 100,000 completed nodes, measured on a real dispatcher process (valence start
// --foreground) from /proc: peak (VmHWM) and current (VmRSS) resident memory. The client's own
// memory — the dry run, the transport graph — is not counted: it lives in this process.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as ct from "valence-workflows";
import { DISPATCHER_NODE_FLAGS, resetConnection } from "../kernel/dist/client/connection.js";

const noop = ct.electron(function noop(_x: number): number {
  return 0;
});
const count = ct.electron(function count(xs: number[]): number {
  return xs.length;
});
const wide = ct.lattice(function wide(n: number) {
  const xs = [];
  for (let i = 0; i < n; i++) xs.push(noop(i));
  return count(xs);
});

function memoryMB(pid: number): { peak: number; now: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  return { peak: kb("VmHWM") / 1024, now: kb("VmRSS") / 1024 };
}

export async function benchMemory(
  nodes: number,
): Promise<{ nodes: number; peakMB: number; afterMB: number; heapAfterMB: number; seconds: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), "valence-bench-mem-"));
  const cli = fileURLToPath(new URL("../kernel/dist/cli/main.js", import.meta.url));
  // As `valence start` and the client's auto-start run it: with the dispatcher's own Node flags.
  const child = spawn(
    process.execPath,
    [...DISPATCHER_NODE_FLAGS, cli, "start", "--foreground", "--data-dir", dataDir],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  await new Promise<void>((resolve) =>
    child.stdout!.on("data", (c: Buffer) => c.toString().includes("listening") && resolve()),
  );
  const saved = process.env.VALENCE_DATA_DIR;
  process.env.VALENCE_DATA_DIR = dataDir;
  delete process.env.VALENCE_DISPATCHER_URL; // find this dispatcher through its runtime file
  resetConnection();
  try {
    const start = performance.now();
    const result = await ct.dispatchSync(wide)((nodes - 2) / 2);
    const seconds = (performance.now() - start) / 1000;
    if (result.status !== "COMPLETED") throw new Error(String(result));
    const { peak, now } = memoryMB(child.pid!);
    const info = JSON.parse(readFileSync(join(dataDir, "dispatcher.json"), "utf8")) as { url: string; token: string };
    const status = (await (
      await fetch(`${info.url}/api/v1/status`, { headers: { authorization: `Bearer ${info.token}` } })
    ).json()) as {
      memory: { heapUsed: number };
    };
    return { nodes, peakMB: peak, afterMB: now, heapAfterMB: status.memory.heapUsed / 2 ** 20, seconds };
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
    if (saved === undefined) delete process.env.VALENCE_DATA_DIR;
    else process.env.VALENCE_DATA_DIR = saved;
    resetConnection();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
