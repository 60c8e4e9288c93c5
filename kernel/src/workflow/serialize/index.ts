// Functions by value: serialize electrons, lattices and functions with their free variables, and
// rebuild them in another thread or process.
export { serializeElectron, serializeLattice, serializeFunction } from "./serialize";
export { rebuildElectron, rebuildLattice, rebuildFunction, type ModuleScope } from "./rebuild";
export { setOriginLocator, mapStack, type SourceOrigin } from "./origins";
export { installCaptureGlobal, captureOf, type Capture, type ImportReference } from "./capture";
export type {
  Binding,
  ElectronSpec,
  LatticeSpec,
  FunctionSpec,
  SerializedFunction,
  ElectronReference,
  LatticeReference,
} from "./spec";
