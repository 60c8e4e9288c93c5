// The seed workflow and a 1,000-task fan-out/fan-in, run by `valence worker` processes over Redis
// instead of on this machine's worker threads (README "Scale out"). With Redis and workers running:
// VALENCE_REDIS_URL=redis://127.0.0.1:6379 npx valence run examples/scale-out.ts
import * as ct from "valence-workflows";
import { prepareData, processData } from "./seed-lattice.ts";

// `executor` on a lattice applies to every electron it calls that does not name its own.
const dataProcessing = ct.lattice(
  function dataProcessing(n: number) {
    const results = [];
    for (let i = 0; i < n; i++) results.push(processData(prepareData()));
    return results;
  },
  { executor: "bullmq" },
);

const square = ct.electron(function square(x: number): number {
  return x * x;
});
const sum = ct.electron(function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
});
const sumOfSquares = ct.lattice(
  function sumOfSquares(n: number) {
    return sum(Array.from({ length: n }, (_, i) => square(i)));
  },
  { executor: "bullmq" },
);

/** "host (pid N)" of every worker that ran a node of the result, with how many nodes each ran. */
function workersOf(result: ct.Result<unknown>): string {
  const counts = new Map<string, number>();
  for (const node of result.nodes) {
    if (!node.worker) continue;
    const who = `${node.worker.host} (pid ${node.worker.pid})`;
    counts.set(who, (counts.get(who) ?? 0) + 1);
  }
  return [...counts].map(([who, n]) => `${who}: ${n}`).join(", ");
}

const seed = await ct.dispatchSync(dataProcessing)(10);
console.log(String(seed));
console.log("result:", JSON.stringify(seed.result));
console.log("workers:", workersOf(seed));

const wide = await ct.dispatchSync(sumOfSquares)(1_000);
console.log(String(wide));
console.log("sum of squares:", wide.result);
console.log("workers:", workersOf(wide));
