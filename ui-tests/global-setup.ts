// Starts the JupyterLab host once for the suite: a fresh temporary notebooks folder, Jupyter data dir
// (holding the test kernel's spec) and config dir, on a free loopback port. Tests read where it runs
// from the environment; the returned function stops it and removes the folders.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { startLab } from "../lab/scripts/serve.mjs";
import { installKernelSpec, KERNEL } from "./kernel-spec.mjs";

const here = dirname(fileURLToPath(import.meta.url));

export default async function globalSetup(): Promise<() => Promise<void>> {
  const scratch = mkdtempSync(join(tmpdir(), "valence-ui-tests-"));
  const rootDir = join(scratch, "notebooks");
  const dataDir = join(scratch, "jupyter-data");
  const configDir = join(scratch, "jupyter-config");
  for (const dir of [rootDir, dataDir, configDir]) mkdirSync(dir, { recursive: true });
  installKernelSpec(dataDir);

  const log = join(here, "test-results", "jupyter-server.log");
  mkdirSync(dirname(log), { recursive: true });
  const lab = await startLab({ rootDir, dataDir, configDir, defaultKernel: KERNEL.name, log });
  process.env.VALENCE_LAB_BASE_URL = lab.baseUrl;
  process.env.VALENCE_LAB_TOKEN = lab.token;

  return async () => {
    await lab.stop();
    rmSync(scratch, { recursive: true, force: true });
  };
}
