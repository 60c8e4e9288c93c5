// Starts the JupyterLab host (lab/launcher/valence_lab.py on Debian's Python) on 127.0.0.1 with a
// token, waits until it answers, and prints the URL; Ctrl-C stops it. Also a module: the UI tests'
// global setup calls startLab(). Usage:
//   node lab/scripts/serve.mjs [--port P] [--root-dir D] [--data-dir J] [--config-dir C]
//                              [--labextensions DIR]... [--token T] [--default-kernel NAME] [--expose-app]
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, openSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const lab = join(dirname(fileURLToPath(import.meta.url)), "..");
const PYTHON = "/usr/bin/python3";
const HOST = "127.0.0.1";

/** The prebuilt extensions this repository builds (extension/), loaded like pip-installed ones. */
export const REPO_LABEXTENSIONS = join(lab, "..", "extension", "dist", "labextensions");

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, HOST, () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

async function waitUntilAnswering(url, child, deadlineMs) {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the Jupyter server exited with code ${child.exitCode}`);
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`the Jupyter server did not answer ${url} within ${deadlineMs} ms`);
}

/**
 * Starts the server and resolves once its REST API answers.
 * @param {object} options
 * @param {number} [options.port] - default: a free port
 * @param {string} [options.rootDir] - the notebooks' folder; default: the current directory
 * @param {string} [options.dataDir] - JUPYTER_DATA_DIR (kernel specs in kernels/, extensions in
 *   labextensions/); default: Jupyter's own
 * @param {string} [options.configDir] - JUPYTER_CONFIG_DIR (user settings, workspaces); default: Jupyter's own
 * @param {string[]} [options.labextensions] - more folders of prebuilt extensions; default: this repository's
 * @param {string} [options.token] - default: random
 * @param {string} [options.defaultKernel] - the kernel spec name new notebooks get; default: Jupyter's (python3)
 * @param {boolean} [options.exposeApp] - set window.jupyterapp in the page
 * @param {NodeJS.ProcessEnv} [options.env] - the server's environment, so its kernels'; default: this process's
 * @param {string} [options.log] - where the server's log goes: "inherit" (default), "ignore" or a file path
 * @param {number} [options.startTimeoutMs] - default 60 000
 * @returns {Promise<{url: string, baseUrl: string, token: string, port: number, stop: () => Promise<void>}>}
 */
export async function startLab(options = {}) {
  if (!existsSync(join(lab, "dist", "static", "index.html"))) {
    throw new Error("JupyterLab is not built: run `node lab/scripts/build.mjs`");
  }
  const port = options.port ?? (await freePort());
  const token = options.token ?? randomBytes(24).toString("hex");
  const labextensions = (options.labextensions ?? [REPO_LABEXTENSIONS]).map((path) => resolve(path));
  const env = { ...(options.env ?? process.env), PYDEVD_DISABLE_FILE_VALIDATION: "1" };
  if (options.dataDir) env.JUPYTER_DATA_DIR = resolve(options.dataDir);
  if (options.configDir) env.JUPYTER_CONFIG_DIR = resolve(options.configDir);
  const args = [
    join(lab, "launcher", "valence_lab.py"),
    `--ServerApp.ip=${HOST}`,
    `--ServerApp.port=${port}`,
    "--ServerApp.port_retries=0",
    "--ServerApp.open_browser=False",
    `--ServerApp.token=${token}`,
    `--ServerApp.root_dir=${resolve(options.rootDir ?? process.cwd())}`,
    ...labextensions.map((path) => `--ValenceLab.extra_labextensions_path=${path}`),
    `--ValenceLab.expose_app_in_browser=${options.exposeApp ? "True" : "False"}`,
  ];
  if (options.defaultKernel) args.push(`--MultiKernelManager.default_kernel_name=${options.defaultKernel}`);
  // CI and these machines run as root; the server refuses that unless told.
  if (process.getuid?.() === 0) args.push("--ServerApp.allow_root=True");
  const log = options.log ?? "inherit";
  const output = log === "inherit" || log === "ignore" ? log : openSync(log, "a");
  const child = spawn(PYTHON, args, { env, stdio: ["ignore", output, output] });
  if (typeof output === "number") closeSync(output);
  const exited = new Promise((done) => child.once("exit", done));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  };
  const baseUrl = `http://${HOST}:${port}/`;
  try {
    await waitUntilAnswering(`${baseUrl}api/status?token=${token}`, child, options.startTimeoutMs ?? 60_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `${baseUrl}lab?token=${token}`, baseUrl, token, port, stop };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      port: { type: "string" },
      "root-dir": { type: "string" },
      "data-dir": { type: "string" },
      "config-dir": { type: "string" },
      labextensions: { type: "string", multiple: true },
      token: { type: "string" },
      "default-kernel": { type: "string" },
      "expose-app": { type: "boolean" },
    },
  });
  const server = await startLab({
    port: values.port ? Number(values.port) : undefined,
    rootDir: values["root-dir"],
    dataDir: values["data-dir"],
    configDir: values["config-dir"],
    labextensions: values.labextensions,
    token: values.token,
    defaultKernel: values["default-kernel"],
    exposeApp: values["expose-app"],
  }).catch((error) => {
    console.error(error.message);
    process.exit(1);
  });
  console.log(`JupyterLab is ready: ${server.url}`);
  const shutdown = () => void server.stop().then(() => process.exit(0));
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
}
