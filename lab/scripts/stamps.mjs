// Hash stamps that make installs and builds incremental: a step reruns only when the digest of its
// inputs differs from the one written after its last success. Node's standard library only, because
// it runs before anything is installed. Shared by lab/ and extension/ (each its own npm project).
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";

/** sha256 over the relative paths and contents of the given files and folders (recursively, sorted). */
export function digestOf(root, paths, extra = "") {
  const hash = createHash("sha256").update(extra);
  const visit = (path) => {
    if (!existsSync(path)) {
      hash.update(`missing:${relative(root, path)}\0`);
      return;
    }
    if (statSync(path).isDirectory()) {
      for (const name of readdirSync(path).sort()) visit(join(path, name));
      return;
    }
    hash
      .update(`${relative(root, path)}\0`)
      .update(readFileSync(path))
      .update("\0");
  };
  for (const path of paths) visit(join(root, path));
  return hash.digest("hex");
}

/** Whether the stamp file holds this digest. */
export function isFresh(stampFile, digest) {
  return existsSync(stampFile) && readFileSync(stampFile, "utf8") === digest;
}

export function writeStamp(stampFile, digest) {
  mkdirSync(dirname(stampFile), { recursive: true });
  writeFileSync(stampFile, digest);
}

/** Runs `npm ci` in an npm project unless its node_modules was installed from this very lockfile. */
export function ensureInstalled(project, label) {
  const stamp = join(project, "node_modules", ".valence-install-stamp");
  const digest = digestOf(project, ["package.json", "package-lock.json"]);
  if (isFresh(stamp, digest)) return false;
  console.error(`${label}: installing npm packages (npm ci)…`);
  const started = Date.now();
  execFileSync("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: project, stdio: "inherit" });
  writeStamp(stamp, digest);
  console.error(`${label}: installed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return true;
}
