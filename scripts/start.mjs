// `npm start`: the whole product on this machine. Installs what is missing (Debian's Jupyter server,
// npm packages), builds what changed (kernel, JupyterLab host, extension), registers the Valence
// kernel in a project-local Jupyter data dir (.valence/jupyter), makes sure your dispatcher runs,
// and serves JupyterLab on 127.0.0.1 with a token, opened on examples/. Ctrl-C stops what it started.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({ options: { port: { type: "string" } } });
const step = (text) => console.error(`valence: ${text}`);
const node = (args, options = {}) => execFileSync(process.execPath, args, { cwd: root, stdio: "inherit", ...options });

node([join(root, "scripts", "apt.mjs"), "python3-jupyter-server", "python3-jupyterlab-server"]);
node([join(root, "scripts", "setup.mjs")]);
const { buildLab } = await import("../lab/scripts/build.mjs");
const { buildExtension } = await import("../extension/scripts/build.mjs");
const { startLab } = await import("../lab/scripts/serve.mjs");
step("building JupyterLab and the extension (only what changed)…");
await buildLab();
buildExtension();

const cli = join(root, "kernel", "dist", "cli", "main.js");
const jupyterData = join(root, ".valence", "jupyter");
mkdirSync(jupyterData, { recursive: true });
node([cli, "install", "--data-dir", jupyterData, "--no-extension"], { stdio: "ignore" });

// Your dispatcher (one per user, shared with scripts): reuse the running one, else start one here.
let dispatcher;
const running = spawnSync(process.execPath, [cli, "status"], { stdio: "ignore" }).status === 0;
if (!running) {
  step("starting your dispatcher…");
  dispatcher = spawn(process.execPath, [cli, "start", "--foreground"], { stdio: ["ignore", "ignore", "inherit"] });
}

const lab = await startLab({
  ...(values.port ? { port: Number(values.port) } : {}),
  rootDir: join(root, "examples"),
  dataDir: jupyterData,
  configDir: join(root, ".valence", "jupyter-config"),
  defaultKernel: "valence",
  log: join(root, ".valence", "jupyterlab.log"),
});
console.log(`\nJupyterLab with the Valence kernel: ${lab.url}`);
console.log(
  "Open data-processing.ipynb and run all cells. Ctrl-C stops JupyterLab (and the dispatcher, if started here).\n",
);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  step("stopping…");
  await lab.stop();
  if (dispatcher && dispatcher.exitCode === null) {
    dispatcher.kill("SIGTERM");
    await new Promise((resolve) => dispatcher.once("exit", resolve));
  }
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
