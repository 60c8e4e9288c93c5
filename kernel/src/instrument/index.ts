// Compile-time tooling: the transform that records functions' free variables. A leaf: it depends on
// the parser only, so the runtime never loads it unless code is being loaded or diagnosed.
export { instrument, instrumentWithInserts, type InstrumentOptions, type Insert } from "./instrument";
export { freeVariables } from "./free-variables";
export { topLevelBindings, type TopLevelBindings } from "./imports";
export type { CellExports, ImportReference } from "./analysis";
