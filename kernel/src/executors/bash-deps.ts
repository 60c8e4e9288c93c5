// deps.bash: commands an electron needs run where its tasks run (a tool installed, a file fetched),
// once per machine for each list of commands, before its first task there (prepared-once.ts). They
// run in order with bash, in their own folder of the cache directory, their output in the task's
// log; the first that fails stops the rest and fails the task with its exit code and stderr's end.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { cacheDirectory } from "../cache-directory";
import { preparedOnce } from "./prepared-once";

const ERROR_LINES = 20;

export class BashDepsError extends Error {
  override readonly name = "BashDepsError";
}

/** The folder of a list of commands: keyed by a hash of the list (its order matters). */
export function bashDepsDir(commands: readonly string[], env: NodeJS.ProcessEnv = process.env): string {
  const key = createHash("sha256").update(JSON.stringify(commands)).digest("hex").slice(0, 24);
  return join(cacheDirectory(env), "bash", key);
}

let runs = 0;

/** How many times this thread ran a list of commands (for tests: a list done before runs none). */
export function bashDepsRunCount(): number {
  return runs;
}

/** Resolves once `commands` have run on this machine (running them now if none has). */
export function bashDeps(commands: readonly string[]): Promise<void> {
  const dir = bashDepsDir(commands);
  return preparedOnce({
    dir,
    what: `deps.bash (${commands.length} command${commands.length === 1 ? "" : "s"})`,
    errorName: "BashDepsError",
    marker: { commands },
    make: async (into) => {
      runs++;
      for (const [i, command] of commands.entries()) await runCommand(command, i, into);
    },
  });
}

function runCommand(command: string, index: number, cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let stderr = "";
    const child = spawn("bash", ["-c", command], { cwd, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.on("data", (chunk: Buffer) => process.stderr.write(chunk));
    child.stderr.on("data", (chunk: Buffer) => {
      process.stderr.write(chunk);
      stderr = (stderr + chunk.toString()).slice(-8192);
    });
    child.on("error", (error) => reject(new BashDepsError(`deps.bash could not start bash: ${error.message}`)));
    child.on("close", (code, signal) => {
      if (code === 0) return resolve();
      const how = signal ? `was stopped by ${signal}` : `exited with code ${code}`;
      const tail = stderr.trimEnd().split("\n").slice(-ERROR_LINES).join("\n");
      reject(
        new BashDepsError(
          `deps.bash[${index}] \`${command}\` ${how}${tail ? `; stderr ends:\n${tail}` : " (nothing on stderr)"}`,
        ),
      );
    });
  });
}
