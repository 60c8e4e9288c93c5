// The serialized forms of functions, electrons and lattices: JSON-compatible, so they can be stored
// in SQLite, sent over HTTP or Redis, and rebuilt in a worker that never saw the user's kernel.
import type { ElectronOptionsDocument } from "@valence/schema";
import type { LatticeOptions } from "../options";
import type { ImportReference } from "./capture";
import type { SourceOrigin } from "./origins";

/** A free variable of a serialized function, and how it is restored. */
export type Binding =
  | { readonly kind: "function"; readonly fn: number }
  | { readonly kind: "electron"; readonly electron: ElectronReference }
  | { readonly kind: "lattice"; readonly lattice: LatticeReference }
  | ({ readonly kind: "import" } & ImportReference)
  /** v8.serialize of the value, base64: structured-clone semantics. */
  | { readonly kind: "value"; readonly data: string }
  /**
   * Data holding things that cannot be cloned (`[clean, train]`, `{ fs: require("node:fs") }`): the
   * data as `value` with a placeholder at each hole, and what goes back into each hole.
   */
  | { readonly kind: "structure"; readonly data: string; readonly holes: readonly Hole[] };

/** A function, electron, lattice or module inside a `structure` binding; never a structure itself. */
export interface Hole {
  /** Steps from the value to the hole; the first path that reached it, in a shared or cyclic value. */
  readonly path: readonly PathStep[];
  readonly binding: Binding;
}

/**
 * A property name (objects and arrays), or a position in a Map or a Set in insertion order:
 * `{ key: i }` the key of its i-th entry, `{ value: i }` that entry's value, `{ item: i }` its i-th item.
 */
export type PathStep = string | { readonly key: number } | { readonly value: number } | { readonly item: number };

export interface SerializedFunction {
  readonly name: string;
  /** An expression that evaluates to the function. */
  readonly source: string;
  readonly bindings: Readonly<Record<string, Binding>>;
  /** Where it was written (a notebook cell), so a failure's stack points there. */
  readonly origin?: SourceOrigin;
}

export interface LatticeReference {
  readonly name: string;
  readonly options: LatticeOptions;
  /** Index of the lattice body in the spec's `functions`. */
  readonly fn: number;
}

export interface ElectronReference {
  readonly name: string;
  /** Options without hooks (those are functions: see callBefore / callAfter). */
  readonly options: Omit<ElectronOptionsDocument, "callBefore" | "callAfter">;
  readonly fn: number;
  readonly callBefore: readonly number[];
  readonly callAfter: readonly number[];
  readonly sublattice?: LatticeReference;
}

export interface ElectronSpec {
  readonly version: 1;
  readonly functions: readonly SerializedFunction[];
  readonly electron: ElectronReference;
}

export interface LatticeSpec {
  readonly version: 1;
  readonly functions: readonly SerializedFunction[];
  readonly lattice: LatticeReference;
}

export interface FunctionSpec {
  readonly version: 1;
  readonly functions: readonly SerializedFunction[];
  readonly root: number;
}

/** The modules a binding loads, those in a structure's holes included. */
export function importsOf(binding: Binding): ImportReference[] {
  if (binding.kind === "import") return [binding];
  return binding.kind === "structure" ? binding.holes.flatMap((hole) => importsOf(hole.binding)) : [];
}
