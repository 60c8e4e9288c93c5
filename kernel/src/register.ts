// `node --import valence-workflows/register script.ts` (and `valence run`, workers, tests): lets Node run
// TypeScript and instruments user modules so their functions can travel by value. Importing this
// module registers everything; `registerLoader()` is the same, for callers that want it explicit.
import { register } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { MessageChannel } from "node:worker_threads";
import { installCaptureGlobal } from "./workflow/serialize/capture";
import { installRequireHook } from "./loader/require-hook";
import { followUserFiles } from "./loader/user-files";

const REGISTERED = Symbol.for("valence.loader.registered");
const state = globalThis as { [REGISTERED]?: boolean };

/**
 * Installs `__valence_capture__` and Node's module hooks for this thread (once: later calls do
 * nothing). Modules imported afterwards are transpiled if TypeScript and instrumented if they are
 * the user's (not under node_modules, not valence's own files).
 */
export function registerLoader(): void {
  installCaptureGlobal();
  if (state[REGISTERED]) return;
  state[REGISTERED] = true;
  // Error stacks then point into the user's .ts files.
  process.setSourceMapsEnabled(true);
  installRequireHook(__dirname);
  // The hooks send each user module's code, so a function sent away knows where it was written.
  const files = new MessageChannel();
  followUserFiles(files.port1);
  register(pathToFileURL(join(__dirname, "loader", "hooks.mjs")).href, {
    data: { valenceDist: __dirname, files: files.port2 },
    transferList: [files.port2],
  });
}

registerLoader();
