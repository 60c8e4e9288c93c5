// The seed workflow from Covalent's tutorial, in TypeScript: ten independent prepare → process pairs.
// Run it with `npm start`, `npx valence run examples/seed.ts`, or `npx tsx examples/seed.ts`.
import * as ct from "valence";

const prepareData = ct.electron(function prepareData(): number {
  return Math.floor(Math.random() * 101);
});

const processData = ct.electron(
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

console.log(String(dataProcessing.draw(10)));
const result = await ct.runLocal(dataProcessing)(10);
console.log("result:", JSON.stringify(result));
