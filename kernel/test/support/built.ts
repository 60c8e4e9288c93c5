// Test support: where the built program is, for tests that start it as its own process or thread
// the way a user does (`valence …`, `node --import valence-workflows/register`, a fresh worker).
// In-process imports use `#src/…` instead (package.json `imports`): typed against src/, run from dist/.
import { fileURLToPath } from "node:url";

/** The built `dist/` directory, with a trailing slash. */
export const distDir = fileURLToPath(new URL("../../dist/", import.meta.url));
/** The `valence` CLI's entry point. */
export const cliMain = `${distDir}cli/main.js`;
/** The loader's `--import` entry point. */
export const registerModule = `${distDir}register.js`;
