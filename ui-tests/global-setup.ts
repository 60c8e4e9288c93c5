// Starts the JupyterLab host once for the suite: a fresh temporary notebooks folder, Jupyter data dir
// (holding the test kernel's spec), config dir and Valence data dir (the dispatcher the kernels start
// lives there), on a free loopback port, and a Redis for the scale-out scenario (the dispatcher finds
// it through VALENCE_REDIS_URL). Tests read where they run from the environment; the returned function
// stops the lab, the dispatcher and Redis and removes the folders.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { startRedis } from "../scripts/redis-server.mjs";
import { startLab } from "../lab/scripts/serve.mjs";
import { installKernelSpec, KERNEL, VALENCE_CLI } from "./kernel-spec.mjs";

const here = dirname(fileURLToPath(import.meta.url));

export default async function globalSetup(): Promise<() => Promise<void>> {
  const scratch = mkdtempSync(join(tmpdir(), "valence-ui-tests-"));
  const rootDir = join(scratch, "notebooks");
  const dataDir = join(scratch, "jupyter-data");
  const configDir = join(scratch, "jupyter-config");
  const valenceDir = join(scratch, "valence");
  for (const dir of [rootDir, dataDir, configDir, valenceDir]) mkdirSync(dir, { recursive: true });
  // Inherited by the Jupyter server and so by every kernel: their dispatcher is the suite's own.
  process.env.VALENCE_DATA_DIR = valenceDir;
  installKernelSpec(dataDir);
  // Before the lab starts: its kernels, and the dispatcher they start, inherit the address.
  const redis = await startRedis();
  process.env.VALENCE_REDIS_URL = redis.url;

  const log = join(here, "test-results", "jupyter-server.log");
  mkdirSync(dirname(log), { recursive: true });
  // window.jupyterapp lets tests run commands (change the theme) as Galata does.
  const lab = await startLab({ rootDir, dataDir, configDir, defaultKernel: KERNEL.name, log, exposeApp: true });
  process.env.VALENCE_LAB_BASE_URL = lab.baseUrl;
  process.env.VALENCE_LAB_TOKEN = lab.token;

  return async () => {
    await lab.stop();
    try {
      execFileSync(process.execPath, [VALENCE_CLI, "stop"], { stdio: "ignore" });
    } catch {
      // No test started a dispatcher: nothing to stop.
    }
    await redis.stop();
    rmSync(scratch, { recursive: true, force: true });
  };
}
