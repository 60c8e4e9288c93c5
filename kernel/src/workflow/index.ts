// The workflow model: electrons, lattices, futures and the dry-run graph. Pure: no I/O.
export { electron, type Electron } from "./electron";
export { lattice, buildGraph, type Lattice } from "./lattice";
export { wait } from "./wait";
export { Graph, type GraphNode, type GraphEdge, type NodeInputs } from "./graph";
export { isFuture } from "./future";
export { resolveOutput, outputNodes } from "./output";
export { WorkflowError, type WorkflowErrorCode } from "./errors";
export { electronDefinition, latticeDefinition, type ElectronDefinition, type LatticeDefinition } from "./definition";
export { hookList, type ElectronOptions, type LatticeOptions, type Resources, type Hook } from "./options";
export type { Future, FutureHandle, Arg, Args, Resolved } from "./types";
export { volume, volumeNameProblem, type Volume } from "./volume";
export { taskContext, runInTaskContext, type TaskContext } from "./task-context";
export { shell, type ShellOptions, type ShellOutput, type ShellArgs } from "./shell";
