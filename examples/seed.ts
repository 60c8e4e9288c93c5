// The seed workflow from Covalent's tutorial, in TypeScript: ten independent prepare → process pairs.
// Run it with `npm start`, `npx valence run examples/seed.ts`, or `npx tsx examples/seed.ts`.
import * as ct from "valence-workflows";
import { dataProcessing } from "./seed-lattice.ts";

console.log(String(dataProcessing.draw(10)));
const result = await ct.runLocal(dataProcessing)(10);
console.log("result:", JSON.stringify(result));
