// The BullMQ executor's targets (README, Development): the latency each dependent step adds (a chain of no-op
// tasks) and the wall time of a 1k fan-out + fan-in, on two real `valence worker` processes against
// a real redis-server on a free loopback port, through a dispatcher in this process (SQLite in a temp
// dir; lattices dispatched over its HTTP API like a user's). Warm-up first, then the median of a few
// runs, with the CPU time each process spent per job (less sensitive to a busy machine than wall
// time) and the Redis commands per job. Every process started here is stopped, also on failure.
//
// Run alone: `node --import ./kernel/dist/register.js bench/bullmq.ts [runs] [valence worker args…]`.
// VALENCE_BENCH_PROFILE=<file> writes a CPU profile of this process (the dispatcher) over the runs;
// VALENCE_BENCH_WORKER_PROFILE=<dir> one per worker process (node --cpu-prof, warm-up included) there.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Redis } from "ioredis";
import * as ct from "valence-workflows";
import { InlineExecutor, LocalExecutor } from "../kernel/dist/executors/index.js";
import { BullMQExecutor } from "../kernel/dist/executors/bullmq/index.js";
import { resetConnection } from "../kernel/dist/client/connection.js";
import { startRedis, type RunningRedis } from "../kernel/test/support/redis.ts";

const CLI = fileURLToPath(new URL("../kernel/dist/cli/main.js", import.meta.url));

const noop = ct.electron(function noop(_x: number): number {
  return 0;
});
const count = ct.electron(function count(xs: number[]): number {
  return xs.length;
});
const fanOut = ct.lattice(
  function fanOut(n: number) {
    const xs = [];
    for (let i = 0; i < n; i++) xs.push(noop(i));
    return count(xs);
  },
  { name: "fanOut", executor: "bullmq" },
);
const chain = ct.lattice(
  function chain(n: number) {
    let x = noop(0);
    for (let i = 1; i < n; i++) x = noop(x);
    return x;
  },
  { name: "chain", executor: "bullmq" },
);

/** CPU milliseconds per job, by process, in the median run of a shape. */
export interface CpuPerJob {
  readonly dispatcherMs: number;
  /** Both workers together (their task threads included). */
  readonly workersMs: number;
  readonly redisMs: number;
}

export interface ShapeFigures {
  /** Wall milliseconds of each run, in order. */
  readonly runsMs: number[];
  readonly medianMs: number;
  /** Jobs per run (the fan-out's fan-in included). */
  readonly tasks: number;
  /** Medians over the runs. */
  readonly cpu: CpuPerJob;
  /** Redis commands per job (every client's, and those run by BullMQ's scripts), median over the runs. */
  readonly commandsPerJob: number;
}

export interface BullMQFigures {
  readonly chainSteps: number;
  readonly fanOut: number;
  readonly chain: ShapeFigures;
  readonly fan: ShapeFigures;
  /** Median wall milliseconds per dependent step: the chain's wall time over its length. */
  readonly msPerStep: number;
  readonly workerArgs: string[];
}

export interface BullMQBenchOptions {
  readonly chainSteps?: number;
  readonly fanOut?: number;
  readonly runs?: number;
  /** Extra `valence worker` arguments (default none: each worker offers the machine's CPUs). */
  readonly workerArgs?: string[];
  /** Progress lines (each run's times). */
  readonly progress?: (line: string) => void;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

export async function benchBullMQ(options: BullMQBenchOptions = {}): Promise<BullMQFigures> {
  const steps = options.chainSteps ?? 200;
  const fan = options.fanOut ?? 1_000;
  const runs = options.runs ?? 5;
  const workerArgs = options.workerArgs ?? [];
  const progress = options.progress ?? (() => undefined);
  const dir = mkdtempSync(join(tmpdir(), "valence-bench-bullmq-"));
  const offInterrupt = onInterrupt();
  leftoverDirs.add(dir);
  let redis: RunningRedis | undefined;
  let redisPid = 0;
  const workers: BenchWorker[] = [];
  let dispatcher: ct.RunningDispatcher | undefined;
  let admin: Admin | undefined;
  try {
    redis = await startRedis();
    admin = await Admin.open(redis.url);
    redisPid = await admin.pid();
    guard(redisPid);
    const redisDir = await admin.dir();
    if (redisDir) leftoverDirs.add(redisDir);
    const started = await Promise.allSettled([1, 2].map((n) => startWorker(redis!.url, workerArgs, dir, n)));
    for (const worker of started) if (worker.status === "fulfilled") workers.push(worker.value);
    const failed = started.find((worker) => worker.status === "rejected");
    if (failed) throw (failed as PromiseRejectedResult).reason;
    const bullmq = new BullMQExecutor({ redis: redis.url }, { log: progress });
    const executors = { local: new LocalExecutor({ maxWorkers: 1 }), inline: new InlineExecutor(), bullmq };
    dispatcher = await ct.startDispatcher({ dataDir: join(dir, "data"), publish: false, executors });
    process.env.VALENCE_DISPATCHER_URL = dispatcher.url;
    process.env.VALENCE_DISPATCHER_TOKEN = dispatcher.token;
    resetConnection();

    // Warm up every side (the JIT in all four processes, the workers' task threads, Redis' scripts)
    // with a few thousand jobs: the first runs of a fresh process are up to twice as slow.
    for (let i = 0; i < 2; i++) {
      await expect(chain, steps, 0);
      await expect(fanOut, fan, fan);
    }

    const pids = { redis: redisPid, workers: workers.map((w) => w.pid) };
    const profiler = await startProfiler();
    const samples = { chain: [] as Sample[], fan: [] as Sample[] };
    for (let run = 0; run < runs; run++) {
      const c = await measure(admin, pids, () => expect(chain, steps, 0), steps);
      samples.chain.push(c);
      const f = await measure(admin, pids, () => expect(fanOut, fan, fan), fan + 1);
      samples.fan.push(f);
      progress(
        `bullmq run ${run + 1}/${runs}: chain of ${steps} ${c.ms.toFixed(0)} ms (${(c.ms / steps).toFixed(2)} ms/step), ` +
          `fan-out ${fan} + fan-in ${f.ms.toFixed(0)} ms`,
      );
    }
    await profiler?.();
    const chainFigures = summarize(samples.chain, steps);
    return {
      chainSteps: steps,
      fanOut: fan,
      chain: chainFigures,
      fan: summarize(samples.fan, fan + 1),
      msPerStep: chainFigures.medianMs / steps,
      workerArgs,
    };
  } finally {
    delete process.env.VALENCE_DISPATCHER_URL;
    delete process.env.VALENCE_DISPATCHER_TOKEN;
    resetConnection();
    await dispatcher?.close().catch(() => undefined);
    await admin?.close();
    const codes = await Promise.all(workers.map((w) => w.stop()));
    await redis?.stop();
    leftovers.delete(redisPid);
    rmSync(dir, { recursive: true, force: true });
    leftoverDirs.clear();
    offInterrupt();
    if (codes.some((code) => code !== 0)) progress(`bullmq bench: the workers exited with codes ${codes.join(", ")}`);
  }
}

async function expect(lattice: ct.Lattice<[number], number>, n: number, value: number): Promise<void> {
  const result = await ct.dispatchSync(lattice)(n);
  if (result.status !== "COMPLETED" || result.result !== value) {
    const shape = lattice === chain ? "chain" : "fanOut";
    throw new Error(
      `bullmq bench: ${shape}(${n}) ended ${result.status} with ${String(result.result)}: ${String(result.error?.message)}`,
    );
  }
}

// --- processes ------------------------------------------------------------------------------------

/** Pids still running (and directories left) if the bench dies: killed (removed) on exit. */
const leftovers = new Set<number>();
const leftoverDirs = new Set<string>();
let exitHook = false;
function guard(pid: number): void {
  leftovers.add(pid);
  if (exitHook) return;
  exitHook = true;
  process.on("exit", killLeftovers);
}

function killLeftovers(): void {
  for (const left of leftovers) {
    try {
      process.kill(left, "SIGKILL");
    } catch {
      // already gone
    }
  }
  leftovers.clear();
  for (const dir of leftoverDirs) rmSync(dir, { recursive: true, force: true });
  leftoverDirs.clear();
}

/** While the bench runs, an interrupt (Ctrl-C, kill) stops its processes before the process ends. */
function onInterrupt(): () => void {
  const stop = (signal: NodeJS.Signals): void => {
    killLeftovers();
    process.kill(process.pid, signal);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  return () => {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  };
}

interface BenchWorker {
  readonly pid: number;
  /** SIGTERM, then its exit code (SIGKILL after 15 s). */
  stop(): Promise<number | null>;
}

/**
 * `valence worker --redis <url> --grace 1 …args`, its output going to a file in `dir` (as a deployed
 * worker's goes to a terminal or a journal: the dispatcher does not read it), once it says "ready".
 */
async function startWorker(redis: string, args: string[], dir: string, n: number): Promise<BenchWorker> {
  const log = join(dir, `worker-${n}.log`);
  const fd = openSync(log, "w");
  let child: ChildProcess;
  try {
    const profile = process.env.VALENCE_BENCH_WORKER_PROFILE;
    const node = profile ? ["--cpu-prof", `--cpu-prof-dir=${profile}`] : [];
    child = spawn(process.execPath, [...node, CLI, "worker", "--redis", redis, "--grace", "1", ...args], {
      stdio: ["ignore", fd, fd],
    });
  } finally {
    closeSync(fd);
  }
  const pid = child.pid!;
  guard(pid);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const stop = async (): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    const code = await exited;
    clearTimeout(timer);
    leftovers.delete(pid);
    return code;
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    const output = readFileSync(log, "utf8");
    if (/valence worker \S+: ready: /.test(output)) return { pid, stop };
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`bullmq bench: valence worker ${n} did not get ready:\n${output.slice(-2000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

// --- measuring ------------------------------------------------------------------------------------

const TICK_MS = 1000 / 100; // USER_HZ: /proc reports CPU time in 1/100 s on Linux

/** User + system CPU milliseconds of a process (all its threads) from /proc. */
function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return NaN;
  }
}

interface Sample {
  readonly ms: number;
  readonly cpu: { dispatcher: number; workers: number; redis: number };
  readonly commands: number;
}

async function measure(
  admin: Admin,
  pids: { redis: number; workers: number[] },
  run: () => Promise<void>,
  jobs: number,
): Promise<Sample> {
  await admin.resetStats();
  const workersCpu = () => pids.workers.reduce((sum, pid) => sum + processCpuMs(pid), 0);
  const before = { dispatcher: process.cpuUsage(), workers: workersCpu(), redis: processCpuMs(pids.redis) };
  const start = performance.now();
  await run();
  const ms = performance.now() - start;
  const used = process.cpuUsage(before.dispatcher);
  const cpu = {
    dispatcher: (used.user + used.system) / 1000 / jobs,
    workers: (workersCpu() - before.workers) / jobs,
    redis: (processCpuMs(pids.redis) - before.redis) / jobs,
  };
  return { ms, cpu, commands: (await admin.commands()) / jobs };
}

function summarize(samples: Sample[], tasks: number): ShapeFigures {
  const runsMs = samples.map((s) => s.ms);
  return {
    runsMs,
    medianMs: median(runsMs),
    tasks,
    cpu: {
      dispatcherMs: median(samples.map((s) => s.cpu.dispatcher)),
      workersMs: median(samples.map((s) => s.cpu.workers)),
      redisMs: median(samples.map((s) => s.cpu.redis)),
    },
    commandsPerJob: median(samples.map((s) => s.commands)),
  };
}

/** With VALENCE_BENCH_PROFILE=<file>: a CPU profile of this process (the dispatcher) over the measured runs. */
async function startProfiler(): Promise<(() => Promise<void>) | undefined> {
  const file = process.env.VALENCE_BENCH_PROFILE;
  if (!file) return undefined;
  const { Session } = await import("node:inspector/promises");
  const { writeFileSync } = await import("node:fs");
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.start");
  return async () => {
    const { profile } = await session.post("Profiler.stop");
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  };
}

/** The bench's own client, for its questions to Redis: its pid, command counts. */
class Admin {
  private constructor(private readonly client: Redis) {}

  static async open(url: string): Promise<Admin> {
    const { Redis } = await import("ioredis");
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await client.connect();
    return new Admin(client);
  }

  async pid(): Promise<number> {
    return Number(/process_id:(\d+)/.exec(await this.client.info("server"))?.[1]);
  }

  /** Redis' working directory (the test Redis' temporary one). */
  async dir(): Promise<string | undefined> {
    const reply = (await this.client.config("GET", "dir")) as string[];
    return reply[1];
  }

  async resetStats(): Promise<void> {
    await this.client.config("RESETSTAT");
  }

  /** Commands Redis ran since the last reset, but the bench's own (INFO, CONFIG RESETSTAT). */
  async commands(): Promise<number> {
    const info = await this.client.info("commandstats");
    let total = 0;
    const each: string[] = [];
    for (const match of info.matchAll(/^cmdstat_(\S+?):calls=(\d+),usec=(\d+)/gm)) {
      if (match[1] === "info" || match[1] === "config|resetstat") continue;
      total += Number(match[2]);
      each.push(`${match[1]}=${match[2]} (${match[3]} µs)`);
    }
    if (process.env.VALENCE_BENCH_COMMANDS) console.error(`redis commands: ${each.join(" ")}`);
    return total;
  }

  async close(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const runs = Number(process.argv[2] ?? 5);
  const figures = await benchBullMQ({ runs, workerArgs: process.argv.slice(3), progress: (l) => console.error(l) });
  console.log(JSON.stringify(figures, null, 1));
}
