// The types that make a lattice body type-check like the code it stands for: a future of T offers
// T's properties as futures, electron parameters accept futures and structures of futures, and a
// lattice's result type is its return structure with the futures replaced by their values.

declare const futureType: unique symbol;

/** The part every future has: a brand carrying the type of the value it will hold. */
export interface FutureHandle<T> {
  readonly [futureType]: T;
}

type FutureProps<T> = T extends readonly unknown[]
  ? number extends T["length"]
    ? {
        readonly [index: number]: Future<T[number]>;
        readonly length: Future<number>;
        [Symbol.iterator](): Iterator<Future<T[number]>>;
      }
    : { readonly [K in keyof T]: Future<T[K]> }
  : T extends (...args: never[]) => unknown
    ? unknown
    : T extends object
      ? { readonly [K in keyof T]-?: Future<T[K]> }
      : unknown;

/**
 * The output of an electron call inside a lattice body, before anything has run. Property and index
 * access give futures of the parts (`f.items[0]`); anything that needs the value itself (`if`,
 * arithmetic, template strings, `await`) is an error: do that inside an electron.
 */
export type Future<T> = FutureHandle<T> & FutureProps<T>;

/** What an electron parameter of type T accepts inside a lattice body. */
export type Arg<T> =
  | T
  | FutureHandle<T>
  | (T extends readonly (infer E)[]
      ? readonly Arg<E>[]
      : T extends (...args: never[]) => unknown
        ? never
        : T extends object
          ? { readonly [K in keyof T]: Arg<T[K]> }
          : never);

/** Electron parameters as accepted in a lattice body. */
export type Args<A extends readonly unknown[]> = { [K in keyof A]: Arg<A[K]> };

/** A lattice return structure with each future replaced by the value it stands for. */
export type Resolved<T> =
  T extends FutureHandle<infer U>
    ? U
    : T extends readonly unknown[]
      ? { -readonly [K in keyof T]: Resolved<T[K]> }
      : T extends (...args: never[]) => unknown
        ? T
        : T extends object
          ? { [K in keyof T]: Resolved<T[K]> }
          : T;
