// Test support: a second "host" on this machine — a network namespace joined to ours by a veth pair
// on a private /30 (10.213.N.0/30: .1 on our side, .2 inside) — so a process run in it (`ip netns
// exec`) reaches this machine only over that link, and taking the link down cuts it off the way a
// pulled cable does (no reset, packets just stop). Needs root and iproute2 (installed through
// scripts/apt.mjs when missing); `isolatedHost()` returns the reason instead when the machine does
// not permit namespaces. `destroy()` removes the namespace and both veth ends.
import { execFileSync, spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { processAlive as alive } from "#src/shared/process-alive.js";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
/** Every namespace this helper makes starts with this, followed by the creating process's pid. */
const PREFIX = "vlcf";

export interface IsolatedHost {
  /** The namespace's name, for `ip netns exec`. */
  readonly netns: string;
  /** Our end of the link (a listening address the isolated host can reach). */
  readonly hostAddress: string;
  /** The isolated host's address. */
  readonly address: string;
  /** Takes the link down: nothing passes, no connection is reset. */
  down(): void;
  up(): void;
  /** Removes the namespace and the veth pair; safe to call twice. */
  destroy(): void;
}

function ip(...args: string[]): string {
  const run = spawnSync("ip", args, { encoding: "utf8" });
  if (run.error) throw run.error;
  if (run.status !== 0) throw new Error(`ip ${args.join(" ")}: ${(run.stderr || run.stdout).trim()}`);
  return run.stdout;
}

function ensureIproute2(): string | undefined {
  if (spawnSync("ip", ["-V"]).status === 0) return undefined;
  try {
    execFileSync(process.execPath, [join(ROOT, "scripts", "apt.mjs"), "iproute2"], { stdio: "inherit" });
  } catch (error) {
    return `iproute2 ("ip") is missing and could not be installed: ${(error as Error).message}`;
  }
  return spawnSync("ip", ["-V"]).status === 0 ? undefined : `iproute2 ("ip") is missing`;
}

/** Removes namespaces (and their veth pairs) left by earlier runs whose process is gone. */
function removeLeftovers(): void {
  let list: string;
  try {
    list = ip("netns", "list");
  } catch {
    return;
  }
  for (const line of list.split("\n")) {
    const match = new RegExp(`^(${PREFIX}(\\d+))\\b`).exec(line.trim());
    if (!match || alive(Number(match[2]))) continue;
    spawnSync("ip", ["netns", "del", match[1]!]);
    spawnSync("ip", ["link", "del", `${PREFIX}h${match[2]}`]);
  }
}

/** A namespace joined by a veth pair, or the reason this machine does not permit one. */
export function isolatedHost(): IsolatedHost | string {
  if (process.platform !== "linux") return `network namespaces need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return "network namespaces need root (ip netns add), and this test runs as a user";
  const missing = ensureIproute2();
  if (missing) return missing;
  removeLeftovers();
  const id = process.pid;
  const netns = `${PREFIX}${id}`;
  // Interface names have at most 15 characters.
  const hostSide = `${PREFIX}h${id}`.slice(0, 15);
  const inside = `${PREFIX}n${id}`.slice(0, 15);
  const subnet = `10.213.${id % 250}`;
  const hostAddress = `${subnet}.1`;
  const address = `${subnet}.2`;
  let destroyed = false;
  const destroy = (): void => {
    if (destroyed) return;
    destroyed = true;
    spawnSync("ip", ["netns", "del", netns]);
    // Deleting the namespace deletes its end, and with it the pair; this is for a half-made setup.
    if (spawnSync("ip", ["link", "show", hostSide]).status === 0) spawnSync("ip", ["link", "del", hostSide]);
  };
  try {
    ip("netns", "add", netns);
  } catch (error) {
    return `this machine does not permit network namespaces: ${(error as Error).message}`;
  }
  try {
    ip("link", "add", hostSide, "type", "veth", "peer", "name", inside);
    ip("link", "set", inside, "netns", netns);
    ip("addr", "add", `${hostAddress}/30`, "dev", hostSide);
    ip("link", "set", hostSide, "up");
    ip("-n", netns, "addr", "add", `${address}/30`, "dev", inside);
    ip("-n", netns, "link", "set", inside, "up");
    ip("-n", netns, "link", "set", "lo", "up");
  } catch (error) {
    destroy();
    return `could not set up a veth link to a network namespace: ${(error as Error).message}`;
  }
  return {
    netns,
    hostAddress,
    address,
    down: () => void ip("link", "set", hostSide, "down"),
    up: () => void ip("link", "set", hostSide, "up"),
    destroy,
  };
}

/** Namespaces of this helper that exist now (for a final check that none was left behind). */
export function leftoverNamespaces(): string[] {
  try {
    return ip("netns", "list")
      .split("\n")
      .map((line) => line.trim().split(/\s+/)[0] ?? "")
      .filter((name) => name.startsWith(PREFIX));
  } catch {
    return [];
  }
}
