// What an electron or lattice is underneath the callable the user holds: its name, function and
// options. Marked with registry symbols (Symbol.for) so two loaded copies of valence recognise each
// other's electrons, as happens between a notebook kernel and a package the user imports.
import type { ElectronOptions, LatticeOptions } from "./options";

/** Any function an electron or lattice can wrap; its parameters are checked where it is declared. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyFunction = (...args: any[]) => unknown;

export const ELECTRON = Symbol.for("valence.electron");
export const LATTICE = Symbol.for("valence.lattice");

export interface LatticeDefinition {
  readonly name: string;
  readonly fn: AnyFunction;
  readonly options: LatticeOptions;
}

export interface ElectronDefinition {
  readonly name: string;
  /** The task's function; for a sublattice, the lattice's body. */
  readonly fn: AnyFunction;
  readonly options: ElectronOptions;
  /** Set when the electron wraps a lattice: it is built at run time with the real inputs. */
  readonly sublattice?: LatticeDefinition;
}

export function electronDefinition(value: unknown): ElectronDefinition | undefined {
  if (typeof value !== "function") return undefined;
  return (value as { [ELECTRON]?: ElectronDefinition })[ELECTRON];
}

export function latticeDefinition(value: unknown): LatticeDefinition | undefined {
  if (value === null || typeof value !== "object") return undefined;
  return (value as { [LATTICE]?: LatticeDefinition })[LATTICE];
}
