// Running the machine's npm for an environment (an async child process: the thread stays free for
// heartbeats, logs and other tasks), and turning its failure into an error a user can act on: the
// specs, npm's last error lines, and a hint (offline, a spec that does not exist, no npm).
import { spawn } from "node:child_process";

/** npm's output kept for the error message: its end, where npm prints what went wrong. */
const TAIL_BYTES = 64 * 1024;
const ERROR_LINES = 10;

export class NpmInstallError extends Error {
  override readonly name = "NpmInstallError";
}

/** `npm install` of `specs` into `dir`; npm's output goes to this task's log (stderr). */
export function runNpmInstall(dir: string, specs: readonly string[]): Promise<void> {
  const args = ["install", "--no-audit", "--no-fund", "--no-package-lock", "--prefix", dir, "--", ...specs];
  return new Promise((resolve, reject) => {
    let tail = "";
    const keep = (chunk: Buffer): void => {
      const text = chunk.toString("utf8");
      process.stderr.write(text);
      tail = (tail + text).slice(-TAIL_BYTES);
    };
    const child = spawn("npm", args, { cwd: dir, env: npmVariables(), stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.on("error", (error: NodeJS.ErrnoException) => {
      const hint =
        error.code === "ENOENT"
          ? "npm was not found on the PATH of the machine that runs the task: install Node.js with npm there."
          : "npm could not be started on the machine that runs the task.";
      reject(installError(specs, `npm could not start (${error.message})`, "", hint));
    });
    child.on("close", (code, signal) => {
      if (code === 0) return resolve();
      const how = signal ? `npm was stopped by ${signal}` : `npm exited with code ${code}`;
      reject(installError(specs, how, tail, hintFor(tail)));
    });
  });
}

// npm sets these for the scripts it runs (a dispatcher started by `npm test`, say): they describe
// that project, and would make this install go elsewhere (a workspace, the global folder).
const PROJECT_VARIABLE =
  /^npm_(package_|lifecycle_|command$|config_(prefix|local_prefix|global|location|workspaces?|include_workspace_root|dry_run|package_lock|save)$)/i;

function npmVariables(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!PROJECT_VARIABLE.test(key)) env[key] = value;
  return { ...env, npm_config_update_notifier: "false" };
}

function installError(specs: readonly string[], how: string, output: string, hint: string): NpmInstallError {
  const lines = errorLines(output);
  const error = new NpmInstallError(
    `could not install the electron's npm dependencies (deps.npm: ${specs.join(", ")}): ${how}.` +
      (lines.length ? `\n${lines.map((line) => `  ${line}`).join("\n")}` : "") +
      `\nHint: ${hint}`,
  );
  // Valence's own frames say nothing useful here; the message has it all.
  error.stack = `${error.name}: ${error.message}`;
  return error;
}

/** npm's last error lines, without stack frames and dumped error objects. */
export function errorLines(output: string): string[] {
  const lines: string[] = [];
  let inObject = false;
  for (const raw of output.split(/\r?\n/)) {
    const match = /^npm (?:error|ERR!)\s?(.*)$/.exec(raw);
    if (!match) continue;
    const line = match[1]!.trimEnd();
    if (inObject) {
      if (line === "}") inObject = false;
      continue;
    }
    const frame = /^\s+at /.test(line);
    if (line.endsWith("{")) {
      inObject = true;
      const head = line.slice(0, -1).trim();
      if (head && !frame) lines.push(head);
      continue;
    }
    // Blank lines, stack frames, and npm's bare "404" separator lines.
    if (frame || /^\s*\S*$/.test(line)) continue;
    lines.push(line);
  }
  if (lines.length) return lines.slice(-ERROR_LINES);
  // Not npm's usual format: its last lines, whatever they are.
  return output
    .split(/\r?\n/)
    .filter((line) => line.trim() !== "")
    .slice(-ERROR_LINES);
}

const NETWORK =
  /\b(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ESOCKETTIMEDOUT|ENETUNREACH|EHOSTUNREACH|ENETDOWN|ENOTCONNECTED|EPROTO)\b|network|offline/i;

export function hintFor(output: string): string {
  if (/\b(E404|ETARGET)\b|notarget|404 Not Found/i.test(output)) {
    return "a package or version in deps.npm does not exist in the registry (or is private): check the names and versions.";
  }
  if (NETWORK.test(output)) {
    return (
      "the npm registry is not reachable from the machine that runs the task (offline? a proxy or firewall?). " +
      "Check its network and npm's registry and proxy settings (`npm config get registry`); the task's retries try the install again."
    );
  }
  if (/\b(EACCES|EPERM|EROFS|ENOSPC)\b/.test(output)) {
    return "npm could not write its files: check space and permissions of the cache folder (VALENCE_CACHE_DIR) and of npm's cache.";
  }
  if (/\bE(INTEGRITY|AUTH|401|403)\b|\b40[13]\b/.test(output)) {
    return "the registry refused or corrupted the download: check npm's credentials and registry settings (`npm config list`).";
  }
  return "see npm's lines above (the task's logs have its whole output); the task's retries try the install again.";
}
