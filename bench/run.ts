// `npm run bench`: the figures Valence sets targets for (README, Development), measured on this machine now, with the
// peers (Dask distributed) run beside us in the same invocation so ratios compare like with like.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { benchDryRun } from "./dry-run.ts";
import { benchDispatcher, benchEngine, type DispatcherFigures } from "./dispatcher.ts";
import { benchSerializer } from "./serializer.ts";
import { benchMemory } from "./memory.ts";
import { benchKernels, type KernelFigures } from "./kernel.ts";
import { benchExtension, type ExtensionFigures } from "./extension.ts";
import { benchBullMQ, type BullMQFigures } from "./bullmq.ts";

const rows: string[][] = [["measure", "value", "target / peer"]];
const us = (seconds: number, tasks: number) => (seconds * 1e6) / tasks;

for (const [electrons, repeats] of [
  [1_000, 21],
  [10_000, 11],
  [100_000, 5],
] as const) {
  const figure = benchDryRun(electrons, repeats);
  rows.push([
    `dry run, ${electrons.toLocaleString("en")} electrons`,
    `${figure.medianMs.toFixed(1)} ms (${figure.perElectronUs.toFixed(2)} µs/electron)`,
    electrons === 10_000 ? `≤ 100 ms: ${figure.medianMs <= 100 ? "met" : "MISSED"}` : "",
  ]);
}

const serializer = benchSerializer(5_000);
rows.push([
  "serialize an electron (closure over data, a helper, an import)",
  `${serializer.perElectronUs.toFixed(1)} µs/electron (${serializer.specBytes} bytes of JSON)`,
  "",
]);

const FAN = 10_000;
const CHAIN = 1_000;
/** The BullMQ executor's shapes (targets in the README), run on Dask too. */
const BULLMQ_FAN = 1_000;
const BULLMQ_CHAIN = 200;
const BULLMQ_RUNS = 5;
const dask = daskFigures();
for (const executor of ["local", "inline"] as const) {
  const ours = await benchDispatcher(FAN, CHAIN, executor);
  for (const shape of ["fanOut", "chain"] as const) {
    const mine = us(ours[`${shape}Seconds`], ours[`${shape}Tasks`]);
    const label =
      shape === "fanOut" ? `fan-out ${FAN.toLocaleString("en")} + fan-in` : `chain of ${CHAIN.toLocaleString("en")}`;
    const peer = dask ? us(dask[`${shape}Seconds`], dask[`${shape}Tasks`]) : undefined;
    rows.push([
      `dispatcher (${executor} executor, SQLite), ${label} (median of 3)`,
      `${mine.toFixed(1)} µs/task (${ours[`${shape}Seconds`].toFixed(2)} s)`,
      `≤ 50 µs: ${mine <= 50 ? "met" : "MISSED"}` +
        (peer
          ? `; Dask ${peer.toFixed(0)} µs/task → ${(peer / mine).toFixed(1)}× faster (≥ 20×: ${peer / mine >= 20 ? "met" : "MISSED"})`
          : ""),
    ]);
  }
}

for (const executor of ["local", "inline"] as const) {
  const perTask = await benchEngine(FAN, executor);
  rows.push([
    `dispatcher engine alone (${executor} executor, SQLite), fan-out ${FAN.toLocaleString("en")}`,
    `${perTask.toFixed(1)} µs/task`,
    `≤ 50 µs: ${perTask <= 50 ? "met" : "MISSED"} (no client: dry run, HTTP and result download excluded)`,
  ]);
}

const memory = await benchMemory(100_000);
rows.push([
  `dispatcher process memory, ${memory.nodes.toLocaleString("en")} completed nodes (local executor)`,
  `peak ${memory.peakMB.toFixed(0)} MB RSS; after: ${memory.afterMB.toFixed(0)} MB RSS, ${memory.heapAfterMB.toFixed(0)} MB heap (${memory.seconds.toFixed(1)} s)`,
  `≤ 200 MB: ${memory.peakMB <= 200 ? "met" : "MISSED"}`,
]);

const bullmq = await bullmqFigures();
if (bullmq) {
  const { chain, fan } = bullmq;
  const perJob = (shape: typeof chain) =>
    `CPU per job: dispatcher ${shape.cpu.dispatcherMs.toFixed(2)} ms, workers ${shape.cpu.workersMs.toFixed(2)} ms, ` +
    `Redis ${shape.cpu.redisMs.toFixed(2)} ms; ${shape.commandsPerJob.toFixed(0)} Redis commands`;
  const daskStep = dask?.small ? (dask.small.chainMedianSeconds * 1000) / dask.small.chain : undefined;
  const daskFan = dask?.small?.fanOutMedianSeconds;
  rows.push([
    `BullMQ executor (2 valence workers, Redis), chain of ${BULLMQ_CHAIN.toLocaleString("en")}: added latency per dependent step (median of ${BULLMQ_RUNS})`,
    `${bullmq.msPerStep.toFixed(2)} ms/step (${chain.medianMs.toFixed(0)} ms; ${perJob(chain)})`,
    `≤ 2 ms: ${bullmq.msPerStep <= 2 ? "met" : "MISSED"}` +
      (daskStep ? `; Dask ${daskStep.toFixed(2)} ms/step → ${versusDask(bullmq.msPerStep, daskStep)}` : ""),
  ]);
  const seconds = fan.medianMs / 1000;
  rows.push([
    `BullMQ executor (2 valence workers, Redis), fan-out ${BULLMQ_FAN.toLocaleString("en")} + fan-in (median of ${BULLMQ_RUNS})`,
    `${seconds.toFixed(2)} s (${perJob(fan)})`,
    `≤ 0.5 s: ${seconds <= 0.5 ? "met" : "MISSED"}` +
      (daskFan ? `; Dask ${daskFan.toFixed(2)} s → ${versusDask(seconds, daskFan)}` : ""),
  ]);
}

/** Our time against Dask's, as a ratio: "0.40× Dask's time (2.5× faster)". */
function versusDask(mine: number, peer: number): string {
  const ratio = mine / peer;
  return `${ratio.toFixed(2)}× Dask's time (${ratio <= 1 ? `${(1 / ratio).toFixed(1)}× faster` : `${ratio.toFixed(1)}× slower`})`;
}

async function bullmqFigures(): Promise<BullMQFigures | undefined> {
  try {
    return await benchBullMQ({ chainSteps: BULLMQ_CHAIN, fanOut: BULLMQ_FAN, runs: BULLMQ_RUNS });
  } catch (error) {
    rows.push([
      "BullMQ executor (2 valence workers, Redis)",
      "not measured",
      `redis-server missing, or a worker did not start? (${(error as Error).message.split("\n")[0]})`,
    ]);
    return undefined;
  }
}

/** Dask's figures for the dispatcher's shapes, and (`small`) the BullMQ executor's. */
interface DaskFigures extends DispatcherFigures {
  readonly small?: {
    readonly fanOut: number;
    readonly chain: number;
    readonly fanOutMedianSeconds: number;
    readonly chainMedianSeconds: number;
  };
}

function daskFigures(): DaskFigures | undefined {
  try {
    const script = fileURLToPath(new URL("./dask_peer.py", import.meta.url));
    const args = [FAN, CHAIN, BULLMQ_FAN, BULLMQ_CHAIN, BULLMQ_RUNS].map(String);
    const out = execFileSync("/usr/bin/python3", [script, ...args], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    return JSON.parse(out.trim().split("\n").at(-1)!) as DaskFigures;
  } catch (error) {
    rows.push([
      "Dask distributed",
      "not measured",
      `python3-distributed missing? (${(error as Error).message.split("\n")[0]})`,
    ]);
    return undefined;
  }
}

const kernels = await kernelFigures();
if (kernels) {
  const { valence, tslab } = kernels;
  const versus = (mine: number, peer: number, unit: string, digits: number) =>
    `tslab ${peer.toFixed(digits)} ${unit} → ${(mine / peer).toFixed(2)}× (≤ 1.2×: ${mine / peer <= 1.2 ? "met" : "MISSED"})`;
  rows.push([
    `kernel start to first cell done (median of ${valence.starts} starts, alternating with tslab)`,
    `${valence.startMedianS.toFixed(2)} s (kernel_info reply at ${valence.kernelInfoMedianS.toFixed(2)} s)`,
    versus(valence.startMedianS, tslab.startMedianS, "s", 2) +
      `; tslab kernel_info at ${tslab.kernelInfoMedianS.toFixed(2)} s`,
  ]);
  for (const [label, cell, median, p90] of [
    ["trivial cell round trip, `1 + 1`", "trivialCells", "trivialMedianMs", "trivialP90Ms"],
    ["declaring cell round trip, `const xN = N;`", "declareCells", "declareMedianMs", "declareP90Ms"],
  ] as const) {
    rows.push([
      `kernel ${label} (median of ${valence[cell]})`,
      `${valence[median].toFixed(1)} ms (p90 ${valence[p90].toFixed(1)} ms)`,
      versus(valence[median], tslab[median], "ms", 1) + `; tslab p90 ${tslab[p90].toFixed(1)} ms`,
    ]);
  }
}

async function kernelFigures(): Promise<KernelFigures | undefined> {
  try {
    return await benchKernels();
  } catch (error) {
    rows.push([
      "kernel latency (Valence beside tslab)",
      "not measured",
      `python3-jupyter-client missing? (${(error as Error).message.split("\n")[0]})`,
    ]);
    return undefined;
  }
}

const extension = await extensionFigures();
if (extension) {
  const ms = (value: number) => `${value.toFixed(0)} ms`;
  for (const draw of extension.draws) {
    rows.push([
      `extension: layout+draw ${draw.nodes.toLocaleString("en")} nodes (Chromium, median of ${draw.runs})`,
      `${ms(draw.paintedMedianMs)} to the painted frame (laid out at ${ms(draw.shownMedianMs)}; shape+dagre ${ms(draw.layoutMedianMs)}; cold first run ${ms(draw.firstPaintedMs)})`,
      draw.nodes === 1_000 ? `≤ 1 s: ${draw.paintedMedianMs <= 1_000 ? "met" : "MISSED"}` : "",
    ]);
  }
  const { live } = extension;
  rows.push([
    `extension: ${live.updates.toLocaleString("en")} live status updates in one burst (Chromium, median of ${live.runs})`,
    `${ms(live.updatesMedianMs)} to the last node shown COMPLETED; longest frame gap ${ms(live.maxFrameGapMs)} (median run ${ms(live.medianMaxFrameGapMs)}), longest main-thread frame ${live.longestFrameMs ? ms(live.longestFrameMs) : "< 50 ms"}`,
    `no stall > 100 ms: ${live.maxFrameGapMs <= 100 ? "met" : "MISSED"}; bare WebSocket, same burst: ${ms(live.bare.receiveMedianMs)}, longest gap ${ms(live.bare.maxFrameGapMs)}`,
  ]);
}

async function extensionFigures(): Promise<ExtensionFigures | undefined> {
  try {
    return await benchExtension();
  } catch (error) {
    rows.push([
      "extension in Chromium (layout+draw, live updates)",
      "not measured",
      `Chromium or the extension's packages missing? (${(error as Error).message.split("\n")[0]})`,
    ]);
    return undefined;
  }
}

const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
for (const row of rows) console.log(row.map((cell, i) => cell.padEnd(widths[i]!)).join("  "));
