// Serializer cost: turning an electron that closes over data, helper functions and an import into
// its transportable spec — paid once per electron per dispatch.
import * as path from "node:path";
import * as ct from "valence-workflows";
import { serializeElectron } from "../kernel/dist/workflow/serialize/index.js";

const table = { a: 1, b: [1, 2, 3] };
function helper(x: number): number {
  return x + table.a;
}
const work = ct.electron(function work(x: number) {
  return helper(x) + path.sep.length;
});

export function benchSerializer(rounds: number): { perElectronUs: number; specBytes: number } {
  serializeElectron(work);
  const start = performance.now();
  for (let i = 0; i < rounds; i++) serializeElectron(work);
  const perElectronUs = ((performance.now() - start) * 1000) / rounds;
  return { perElectronUs, specBytes: JSON.stringify(serializeElectron(work)).length };
}
