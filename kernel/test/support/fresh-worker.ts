// Test support: rebuild an electron spec in a fresh worker thread, without Valence's loader, and
// call it there — what a worker on another machine does with a spec.
import { Worker } from "node:worker_threads";
import { distDir } from "./built.ts";

const dist = distDir;

/** Rebuilds the spec in a fresh worker thread without Valence's loader and calls the electron there. */
export function runInFreshWorker(spec: unknown, args: unknown[]): Promise<unknown> {
  const code = `
    const { parentPort, workerData } = require("node:worker_threads");
    const { rebuildElectron } = require(workerData.dist + "workflow/serialize/index.js");
    const { electronDefinition } = require(workerData.dist + "workflow/definition.js");
    rebuildElectron(JSON.parse(workerData.spec))
      .then((e) => electronDefinition(e).fn(...workerData.args))
      .then((value) => parentPort.postMessage({ value }), (error) => parentPort.postMessage({ error: error.stack }));`;
  const worker = new Worker(code, { eval: true, execArgv: [], workerData: { dist, spec: JSON.stringify(spec), args } });
  return new Promise((resolve, reject) => {
    worker.once("message", (m: { value?: unknown; error?: string }) => {
      void worker.terminate();
      if (m.error) reject(new Error(m.error));
      else resolve(m.value);
    });
    worker.once("error", reject);
  });
}
