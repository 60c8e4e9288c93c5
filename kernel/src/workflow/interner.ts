// A table of values kept once each, and their positions: what compact messages and stored forms
// refer to by index instead of repeating (names, specs, options, previews).

/** Values by key, each added once; `at` gives a key's position in `values`. */
export class Interner<K, V = K> {
  readonly values: V[] = [];
  private readonly index = new Map<K, number>();

  /** The position of `key`'s value, added the first time: `make(key)`, else the key itself. */
  at(key: K, make?: (key: K) => V): number {
    let i = this.index.get(key);
    if (i === undefined) this.index.set(key, (i = this.values.push(make ? make(key) : (key as unknown as V)) - 1));
    return i;
  }
}
