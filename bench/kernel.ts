// Kernel latency: the Valence kernel beside plain tslab (node_modules/tslab, the base it is built on),
// both started by jupyter_client from kernel specs in a temp data dir, alternately, in one Python
// process (kernel_peer.py): start to first cell done, and the round trip of a trivial cell and of a
// cell that declares a const.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const KERNELS = ["valence", "tslab"] as const;

/** What kernel_peer.py prints for each kernel: raw samples, in seconds. */
interface KernelSamples {
  startSeconds: number[];
  kernelInfoSeconds: number[];
  trivialSeconds: number[];
  declareSeconds: number[];
}

export interface KernelFigure {
  starts: number;
  /** start_kernel() to the first kernel_info_reply. */
  kernelInfoMedianS: number;
  /** start_kernel() to the first `1 + 1` cell done (execute_reply and iopub idle). */
  startMedianS: number;
  trivialCells: number;
  trivialMedianMs: number;
  trivialP90Ms: number;
  declareCells: number;
  declareMedianMs: number;
  declareP90Ms: number;
}

export type KernelFigures = Record<(typeof KERNELS)[number], KernelFigure>;

export interface KernelBenchOptions {
  starts?: number;
  trivial?: number;
  declare?: number;
}

function quantile(samples: number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  return sorted[low]! + (sorted[Math.min(low + 1, sorted.length - 1)]! - sorted[low]!) * (at - low);
}

function summarize(samples: KernelSamples): KernelFigure {
  return {
    starts: samples.startSeconds.length,
    kernelInfoMedianS: quantile(samples.kernelInfoSeconds, 0.5),
    startMedianS: quantile(samples.startSeconds, 0.5),
    trivialCells: samples.trivialSeconds.length,
    trivialMedianMs: quantile(samples.trivialSeconds, 0.5) * 1000,
    trivialP90Ms: quantile(samples.trivialSeconds, 0.9) * 1000,
    declareCells: samples.declareSeconds.length,
    declareMedianMs: quantile(samples.declareSeconds, 0.5) * 1000,
    declareP90Ms: quantile(samples.declareSeconds, 0.9) * 1000,
  };
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], env });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (code === 0) resolve(stdout);
      else {
        const why = stderr.trim().split("\n").at(-1) ?? "";
        reject(new Error(`${command} ${args[0]} exited with ${signal ?? code}: ${why}`));
      }
    });
  });
}

export async function benchKernels(options: KernelBenchOptions = {}): Promise<KernelFigures> {
  const { starts = 5, trivial = 50, declare = 30 } = options;
  const dataDir = mkdtempSync(join(tmpdir(), "valence-bench-kernel-"));
  try {
    const cli = fileURLToPath(new URL("../kernel/dist/cli/main.js", import.meta.url));
    await run(process.execPath, [cli, "install", "--data-dir", dataDir, "--no-extension"]);
    const tslab = fileURLToPath(new URL("../node_modules/tslab/bin/tslab", import.meta.url));
    mkdirSync(join(dataDir, "kernels", "tslab"), { recursive: true });
    writeFileSync(
      join(dataDir, "kernels", "tslab", "kernel.json"),
      JSON.stringify({
        argv: [process.execPath, tslab, "kernel", "--config-path", "{connection_file}"],
        display_name: "TypeScript (tslab)",
        language: "typescript",
      }),
    );
    const script = fileURLToPath(new URL("./kernel_peer.py", import.meta.url));
    const args = [script, dataDir, ...KERNELS, "--starts", String(starts), "--trivial", String(trivial)];
    const out = await run("/usr/bin/python3", [...args, "--declare", String(declare)], {
      ...process.env,
      JUPYTER_PATH: dataDir,
      JUPYTER_RUNTIME_DIR: join(dataDir, "runtime"),
      PYDEVD_DISABLE_FILE_VALIDATION: "1",
    });
    const samples = JSON.parse(out.trim().split("\n").at(-1)!) as Record<string, KernelSamples>;
    return Object.fromEntries(KERNELS.map((name) => [name, summarize(samples[name]!)])) as KernelFigures;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
