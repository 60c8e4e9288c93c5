// Dry-run cost: time to build the graph of a lattice with N electrons (the seed's prepare → process
// pairs), the figure behind the target "10,000-electron lattice ≤ 100 ms" (README, Development).
import * as ct from "valence-workflows";

const prepare = ct.electron(function prepareData(): number {
  return 1;
});
const process = ct.electron(function processData(x: number): number {
  return x + 1;
});
const pairs = ct.lattice(function pairs(n: number) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(process(prepare()));
  return out;
});

export interface DryRunFigure {
  electrons: number;
  medianMs: number;
  perElectronUs: number;
}

export function benchDryRun(electrons: number, repeats: number): DryRunFigure {
  pairs.build(Math.min(electrons, 1000) / 2); // warm up the JIT
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const start = performance.now();
    const graph = pairs.build(electrons / 2);
    times.push(performance.now() - start);
    if (graph.nodes.length !== electrons) throw new Error(`expected ${electrons} nodes, got ${graph.nodes.length}`);
  }
  times.sort((a, b) => a - b);
  const medianMs = times[Math.floor(times.length / 2)]!;
  return { electrons, medianMs, perElectronUs: (medianMs * 1000) / electrons };
}
