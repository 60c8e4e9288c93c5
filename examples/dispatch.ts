// The seed workflow sent to your dispatcher instead of run in this process: results are stored in
// SQLite and survive restarts. `npx valence run examples/dispatch.ts` (starts a dispatcher if none runs).
import * as ct from "valence-workflows";
import { dataProcessing } from "./seed-lattice.ts";

const result = await ct.dispatchSync(dataProcessing)(10);
console.log(String(result));
console.log("result:", JSON.stringify(result.result));
