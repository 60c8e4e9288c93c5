// Whether a process is still there, as far as this machine can tell: the dispatcher that wrote a
// runtime file, the owner of an npm install lock. A zombie is gone, and on Linux so is a process that
// started after the moment it was seen (its pid was reused).
import { readFileSync } from "node:fs";

/**
 * True while the process exists (EPERM: it exists, owned by someone else).
 * Where /proc tells more, a zombie (killed, not yet reaped: a `kill -9`ed dispatcher stays one until
 * init reaps it) is gone, and so is a process that started after `since`: its pid was reused.
 */
export function processAlive(pid: number, since?: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  const proc = procStat(pid);
  if (!proc) return true;
  if (proc.state === "Z" || proc.state === "X") return false;
  return since === undefined || proc.startedAt === undefined || proc.startedAt <= since + PID_REUSE_SLACK_MS;
}

/** Clock skew allowed between a process's start (from /proc, 10 ms ticks) and the time it wrote down. */
const PID_REUSE_SLACK_MS = 5_000;
/** Linux reports process start times in USER_HZ ticks, 100 a second on every architecture it runs on. */
const USER_HZ = 100;

function procStat(pid: number): { state: string; startedAt: number | undefined } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid …": comm may hold spaces and parentheses, so fields count from the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[19]);
  const boot = bootTime();
  const startedAt = boot !== undefined && Number.isFinite(ticks) ? boot + (ticks / USER_HZ) * 1000 : undefined;
  return { state: fields[0] ?? "", startedAt };
}

let bootTimeMs: number | undefined;
function bootTime(): number | undefined {
  if (bootTimeMs !== undefined) return bootTimeMs;
  try {
    const line = /^btime (\d+)$/m.exec(readFileSync("/proc/stat", "utf8"));
    if (line) bootTimeMs = Number(line[1]) * 1000;
  } catch {
    // not Linux: no start times to compare
  }
  return bootTimeMs;
}
