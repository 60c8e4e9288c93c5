// The seed workflow from Covalent's tutorial, in TypeScript: ten independent prepare → process pairs.
// Shared by seed.ts (runs it in this process) and dispatch.ts (sends it to the dispatcher).
import * as ct from "valence-workflows";

export const prepareData = ct.electron(function prepareData(): number {
  return Math.floor(Math.random() * 101);
});

export const processData = ct.electron(
  function processData(data: number): number {
    return data + 1;
  },
  { retries: 2, resources: { cpus: 1, memoryMB: 256 } },
);

export const dataProcessing = ct.lattice(function dataProcessing(n: number) {
  const results = [];
  for (let i = 0; i < n; i++) results.push(processData(prepareData()));
  return results;
});
