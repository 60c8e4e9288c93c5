// `node --import valence/register script.ts` (and `valence run`, workers, tests): lets Node run
// TypeScript and instruments user modules so their functions can travel by value. Importing this
// module is the whole API: it installs the capture hook and registers the loader once per thread.
import { register } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { installCaptureGlobal } from "./workflow/serialize/capture";

const REGISTERED = Symbol.for("valence.loader.registered");
const state = globalThis as { [REGISTERED]?: boolean };

installCaptureGlobal();
if (!state[REGISTERED]) {
  state[REGISTERED] = true;
  // Error stacks then point into the user's .ts files.
  process.setSourceMapsEnabled(true);
  register(pathToFileURL(join(__dirname, "loader", "hooks.mjs")).href, {
    data: { valenceDist: __dirname },
  });
}
