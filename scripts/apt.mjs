// Installs Debian packages the project needs when they are missing (CI and fresh machines run as
// root; elsewhere it says what to install). Usage: node scripts/apt.mjs <package>...
import { execFileSync, spawnSync } from "node:child_process";

const wanted = process.argv.slice(2);
const installed = (name) =>
  spawnSync("dpkg-query", ["-W", "-f=${Status}", name], { encoding: "utf8" }).stdout?.includes("install ok installed");
const missing = wanted.filter((name) => !installed(name));
if (missing.length) {
  if (process.getuid?.() !== 0) {
    console.error(
      `missing Debian packages: ${missing.join(" ")} — install them with: sudo apt-get install -y ${missing.join(" ")}`,
    );
    process.exit(1);
  }
  console.error(`installing ${missing.join(" ")} from Debian…`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  execFileSync("apt-get", ["update", "-q"], { stdio: ["ignore", "ignore", "inherit"], env });
  execFileSync("apt-get", ["install", "-y", "-q", ...missing], { stdio: ["ignore", "ignore", "inherit"], env });
}
