// Makes a fresh clone ready: installs npm packages when the lockfile changed since the last install,
// then builds incrementally. Cheap when nothing changed, so `npm start` and `npm test` call it first.
// Uses only Node's standard library: it runs before anything is installed.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: "inherit" });

const lock = readFileSync(join(root, "package-lock.json"));
const stamp = join(root, "node_modules", ".valence-install-stamp");
const digest = createHash("sha256").update(lock).digest("hex");
if (!existsSync(stamp) || readFileSync(stamp, "utf8") !== digest) {
  console.error("valence setup: installing npm packages (npm ci)…");
  run(npm, ["ci", "--no-audit", "--no-fund"]);
  writeFileSync(stamp, digest);
}
run(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-b", "kernel"]);
