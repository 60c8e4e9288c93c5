// shell(): a command line as an electron (Covalent's bash lepton). Its output is what the command
// writes to stdout (text, lines or parsed JSON), its logs are what it writes, and a failure names
// the exit code (or signal) and ends with the last lines of stderr. The electron's function carries
// the command in its own source, so it travels, is stored and is rebuilt like any user's electron.
import { electron, type Electron } from "./electron";
import type { ElectronOptions } from "./options";

/** How a shell electron's stdout becomes its output. */
export type ShellOutput = "text" | "lines" | "json";

export interface ShellOptions extends ElectronOptions {
  /**
   * "text" (default): stdout, without its last newline; "lines": stdout's lines; "json": stdout
   * parsed as JSON.
   */
  readonly output?: ShellOutput;
  /** The command's working directory. Default: the worker's. */
  readonly cwd?: string;
  /** Variables added to the worker's environment for the command. */
  readonly env?: Readonly<Record<string, string>>;
}

/** What a call passes to the command: `$1`, `$2`… in bash, never parsed by a shell. */
export type ShellArgs = Array<string | number | boolean>;

interface ShellSpec {
  readonly command: string;
  readonly program: string;
  readonly output: ShellOutput;
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * Runs `$0` (the command) with bash, `$1` its name, the rest its arguments, in the background of
 * this launcher, which exits at once: so no process this thread started can outlive it unreaped.
 * The command's exit status comes back on fd 3. Fd 4 is a lifeline (not stdin: Node closes a
 * child's stdin when it exits): when the thread that started the command ends (terminated for a
 * timeout or a cancel) or its process dies, it closes, and a watcher ends the command's whole
 * process group (TERM, then KILL 2 s later).
 */
const LAUNCHER = `(
  bash -c "$0" "$@" 3>&- 4>&- &
  command=$!
  ( trap '' TERM; read _ <&4; kill -TERM 0; sleep 2; kill -KILL 0 ) >/dev/null 2>&1 3>&- &
  watcher=$!
  exec 4>&-
  wait "$command" 2>/dev/null
  status=$?
  kill -KILL "$watcher" 2>/dev/null
  echo "$status" >&3
) &`;

/** The electron's body. It travels as source: it uses nothing but `require` and globals. */
async function runShellCommand(spec: ShellSpec, launcher: string, ...args: ShellArgs): Promise<unknown> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { spawn } = require("node:child_process") as typeof import("node:child_process");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { constants } = require("node:os") as typeof import("node:os");
  const fail = (message: string): Error => Object.assign(new Error(message), { name: "ShellError" });
  // Its own process group (detached), which the watcher can end as a whole.
  const child = spawn("sh", ["-c", launcher, spec.command, spec.program, ...args.map(String)], {
    cwd: spec.cwd,
    env: spec.env ? { ...process.env, ...spec.env } : process.env,
    stdio: ["ignore", "pipe", "pipe", "pipe", "pipe"],
    detached: true,
  });
  const ended = (stream: NodeJS.ReadableStream | null): Promise<void> =>
    new Promise((resolve) => (stream ? stream.once("end", resolve).once("error", resolve) : resolve()));
  const stdout: Buffer[] = [];
  let stderr = "";
  let status = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    stdout.push(chunk);
    process.stdout.write(chunk);
  });
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-8192);
    process.stderr.write(chunk);
  });
  const statusPipe = child.stdio[3] as NodeJS.ReadableStream;
  statusPipe.on("data", (chunk: Buffer) => (status += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    child.once("error", (error) => reject(fail(`\`${spec.command}\` could not start: ${error.message}`)));
    void Promise.all([ended(child.stdout), ended(child.stderr), ended(statusPipe)]).then(() => resolve());
  }).finally(() => (child.stdio[4] as NodeJS.WritableStream & { destroy(): void }).destroy());
  const code = status.trim() === "" ? undefined : Number(status.trim());
  if (code !== 0) {
    const signal =
      code === undefined ? "a signal" : Object.entries(constants.signals).find(([, n]) => n === code - 128)?.[0];
    const how = code === undefined || (code > 128 && signal) ? `was killed by ${signal}` : `exited with code ${code}`;
    const tail = stderr.trimEnd().split("\n").slice(-20).join("\n");
    throw fail(`\`${spec.command}\` ${how}${tail ? `; stderr ends:\n${tail}` : " (nothing on stderr)"}`);
  }
  const text = Buffer.concat(stdout).toString("utf8");
  if (spec.output === "json") {
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw fail(`the output of \`${spec.command}\` is not JSON: ${(error as Error).message}`);
    }
  }
  const trimmed = text.endsWith("\n") ? text.slice(0, -1) : text;
  if (spec.output === "lines") return trimmed === "" ? [] : trimmed.split("\n");
  return trimmed;
}

/**
 * A command line as an electron: call it in a lattice with arguments, which the command reads as
 * `$1`, `$2`… (`ct.shell('wc -l < "$1"')(path)`). Its output is stdout; electron options apply
 * (retries, timeoutMs, executor, deps…). Named after the program unless `name` says otherwise.
 */
export function shell(
  command: string,
  options?: ShellOptions & { readonly output?: "text" },
): Electron<ShellArgs, Promise<string>>;
export function shell(
  command: string,
  options: ShellOptions & { readonly output: "lines" },
): Electron<ShellArgs, Promise<string[]>>;
export function shell<T = unknown>(
  command: string,
  options: ShellOptions & { readonly output: "json" },
): Electron<ShellArgs, Promise<T>>;
export function shell(command: string, options: ShellOptions = {}): Electron<ShellArgs, Promise<unknown>> {
  if (typeof command !== "string" || !command.trim()) throw new TypeError("shell() takes a command line");
  const { output = "text", cwd, env, ...electronOptions } = options;
  if (!["text", "lines", "json"].includes(output)) {
    throw new TypeError(`shell(): output is "text", "lines" or "json", not ${JSON.stringify(output)}`);
  }
  const program = /^\s*([^\s;&|<>()]+)/.exec(command)?.[1]?.split("/").pop() ?? "shell";
  const spec: ShellSpec = { command, program, output, ...(cwd ? { cwd } : {}), ...(env ? { env } : {}) };
  // The command in the function's own source: nothing to capture but `require`, which every rebuilt
  // electron is given, so it travels as any electron does.
  const make = new Function(
    "require",
    `return async function shell(...args) { return (${runShellCommand.toString()})(${JSON.stringify(spec)}, ${JSON.stringify(LAUNCHER)}, ...args); };`,
  ) as (req: NodeJS.Require) => (...args: ShellArgs) => Promise<unknown>;
  return electron(make(require), { name: program, ...electronOptions });
}
