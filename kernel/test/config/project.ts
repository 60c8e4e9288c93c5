// Test support for the config tests: throwaway projects (a valence.config.json, and the fixture
// executor package installed in node_modules as a user would), and the `valence` CLI run for real —
// `start --foreground` as its own process, stopped by the test that started it.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { temporaryDir } from "../support/dispatcher.ts";
import { cliMain } from "../support/built.ts";

export const cli = cliMain;
export const fixturePackage = fileURLToPath(new URL("../fixtures/executor-package", import.meta.url));
export const PACKAGE_NAME = "valence-test-executor";

/** A project directory with `config` as its valence.config.json and the fixture package installed. */
export function makeProject(config: unknown, { install = true } = {}): string {
  const dir = temporaryDir("valence-config-");
  writeFileSync(join(dir, "valence.config.json"), typeof config === "string" ? config : JSON.stringify(config));
  if (install) {
    mkdirSync(join(dir, "node_modules"));
    symlinkSync(fixturePackage, join(dir, "node_modules", PACKAGE_NAME), "dir");
  }
  return dir;
}

/** The environment of a spawned CLI: no user config, no dispatcher URL, unless given. */
export function cliEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  // A user config directory that does not exist: the developer's own config never leaks in.
  const xdg = join(tmpdir(), `valence-no-user-config-${process.pid}`);
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_CONFIG_HOME: xdg, ...extra };
  for (const key of ["VALENCE_CONFIG", "VALENCE_DISPATCHER_URL", "VALENCE_DISPATCHER_TOKEN"]) {
    if (!(key in extra)) delete env[key];
  }
  return env;
}

/** Runs `valence <args>` to completion. */
export function runCli(
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], {
      cwd: options.cwd ?? process.cwd(),
      env: options.env ?? cliEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (out += c.toString()));
    child.once("exit", (code) => resolve({ code, out }));
  });
}

/** `valence start --foreground` in its own process; resolves once it listens. */
export function startForeground(
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, [cli, "start", "--foreground", ...args], {
    cwd: options.cwd ?? process.cwd(),
    env: options.env ?? cliEnv(),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (/^config: /m.test(output)) resolve({ child, output: () => output });
    });
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("exit", (code) => reject(new Error(`dispatcher exited (${code}): ${output}`)));
  });
}

/** Stops a dispatcher started by `startForeground` and waits for its exit. */
export async function stopForeground(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}
