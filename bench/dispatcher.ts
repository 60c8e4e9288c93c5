// Dispatcher overhead per no-op task, with persistence on: a 10k fan-out (+ one fan-in) and a chain
// of 1k, through a real dispatcher (SQLite in a temp dir, the local worker-thread executor), measured
// from dispatch to stored result (median of 3 runs after a warm-up). The same shapes run on Dask
// distributed in the same `npm run bench`, measured the same way.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serialize } from "node:v8";
import * as ct from "valence-workflows";
import { toTransportGraph } from "../kernel/dist/workflow/transport.js";
import { resetConnection } from "../kernel/dist/client/connection.js";

const noop = ct.electron(function noop(_x: number): number {
  return 0;
});
const count = ct.electron(function count(xs: number[]): number {
  return xs.length;
});
function fanOutBody(n: number) {
  const xs = [];
  for (let i = 0; i < n; i++) xs.push(noop(i));
  return count(xs);
}
function chainBody(n: number) {
  let x = noop(0);
  for (let i = 1; i < n; i++) x = noop(x);
  return x;
}
const lattices = {
  local: { fanOut: ct.lattice(fanOutBody, { name: "fanOut" }), chain: ct.lattice(chainBody, { name: "chain" }) },
  inline: {
    fanOut: ct.lattice(fanOutBody, { name: "fanOut", executor: "inline" }),
    chain: ct.lattice(chainBody, { name: "chain", executor: "inline" }),
  },
};

/**
 * The engine alone: the graph is built and serialized beforehand and submitted in process, so the
 * figure is the dispatcher's own cost per task (scheduling, executor round trip, SQLite), without
 * the client's dry run, HTTP and result download.
 */
export async function benchEngine(fan: number, executor: "local" | "inline"): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), "valence-bench-"));
  const dispatcher = await ct.startDispatcher({ dataDir, publish: false });
  try {
    const lattice = lattices[executor].fanOut;
    const submit = (n: number) =>
      dispatcher.engine.submit({ graph: toTransportGraph(lattice.build(n)), lattice: {}, inputs: serialize([n]) });
    await dispatcher.engine.whenFinished(submit(500));
    const graph = toTransportGraph(lattice.build(fan));
    const start = performance.now();
    await dispatcher.engine.whenFinished(dispatcher.engine.submit({ graph, lattice: {}, inputs: serialize([fan]) }));
    return ((performance.now() - start) * 1000) / (fan + 1);
  } finally {
    await dispatcher.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export interface DispatcherFigures {
  fanOutSeconds: number;
  fanOutTasks: number;
  chainSeconds: number;
  chainTasks: number;
}

/** Runs of each shape; the figure is their median. */
const RUNS = 3;

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1]!;

async function timed(run: () => Promise<ct.Result>): Promise<number> {
  const start = performance.now();
  const result = await run();
  if (result.status !== "COMPLETED") throw new Error(String(result));
  return (performance.now() - start) / 1000;
}

export async function benchDispatcher(
  fan: number,
  length: number,
  executor: "local" | "inline",
): Promise<DispatcherFigures> {
  const dataDir = mkdtempSync(join(tmpdir(), "valence-bench-"));
  const dispatcher = await ct.startDispatcher({ dataDir, publish: false });
  process.env.VALENCE_DISPATCHER_URL = dispatcher.url;
  process.env.VALENCE_DISPATCHER_TOKEN = dispatcher.token;
  resetConnection();
  try {
    const { fanOut, chain } = lattices[executor];
    // Warm up workers and the JIT on both shapes, then the median of a few runs of each.
    await ct.dispatchSync(fanOut)(100);
    await ct.dispatchSync(chain)(100);
    const fanOuts: number[] = [];
    const chains: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      fanOuts.push(await timed(() => ct.dispatchSync(fanOut)(fan)));
      chains.push(await timed(() => ct.dispatchSync(chain)(length)));
    }
    return {
      fanOutSeconds: median(fanOuts),
      fanOutTasks: fan + 1,
      chainSeconds: median(chains),
      chainTasks: length,
    };
  } finally {
    delete process.env.VALENCE_DISPATCHER_URL;
    delete process.env.VALENCE_DISPATCHER_TOKEN;
    resetConnection();
    await dispatcher.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
