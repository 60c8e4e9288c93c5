// Node outputs a running dispatch still needs, held compactly: small outputs are copied into shared
// slabs (an offset and a length per node instead of a Uint8Array and an ArrayBuffer each), large ones
// kept as they are. An output is dropped once every node that reads it has read it and it has been
// written to the store; after that a read falls back to the store.
const SLAB_BYTES = 256 * 1024;
const SMALL_BYTES = 1024;
const NONE = -1;
const BIG = -2;

export class OutputCache {
  private readonly slabs: Array<Uint8Array | undefined> = [];
  /** Live entries per slab: a slab is let go when it has none and is not the one being filled. */
  private readonly slabLive: number[] = [];
  private current = NONE;
  private used = 0;
  private readonly where: Int32Array;
  private readonly offset: Int32Array;
  private readonly length: Int32Array;
  private readonly big = new Map<number, Uint8Array>();
  /** Reads still to come (+1 for outputs the result is made of), and 1 until written to the store. */
  private readonly reads: Int32Array;
  private readonly unwritten: Uint8Array;

  constructor(
    size: number,
    /** How many distinct nodes read node i's output, plus 1 if the dispatch's result uses it. */
    readers: (id: number) => number,
  ) {
    this.where = new Int32Array(size).fill(NONE);
    this.offset = new Int32Array(size);
    this.length = new Int32Array(size);
    this.reads = new Int32Array(size);
    for (let id = 0; id < size; id++) this.reads[id] = readers(id);
    this.unwritten = new Uint8Array(size);
  }

  /** Keeps a new output (to be written to the store, and read by the nodes that need it). */
  set(id: number, bytes: Uint8Array): void {
    this.drop(id);
    this.unwritten[id] = 1;
    if (bytes.byteLength > SMALL_BYTES) {
      this.where[id] = BIG;
      this.big.set(id, bytes);
      return;
    }
    if (this.current === NONE || this.used + bytes.byteLength > SLAB_BYTES) {
      this.current = this.slabs.push(new Uint8Array(SLAB_BYTES)) - 1;
      this.slabLive.push(0);
      this.used = 0;
    }
    this.slabs[this.current]!.set(bytes, this.used);
    this.where[id] = this.current;
    this.offset[id] = this.used;
    this.length[id] = bytes.byteLength;
    this.slabLive[this.current]!++;
    this.used += bytes.byteLength;
  }

  /** The output if it is still held (a view into a slab: copy it to keep it). */
  get(id: number): Uint8Array | undefined {
    const where = this.where[id]!;
    if (where === NONE) return undefined;
    if (where === BIG) return this.big.get(id);
    return this.slabs[where]!.subarray(this.offset[id], this.offset[id]! + this.length[id]!);
  }

  /** A node that reads `id` has read it. */
  read(id: number): void {
    if (--this.reads[id]! <= 0 && !this.unwritten[id]) this.drop(id);
  }

  /** The output of `id` is committed to the store. */
  written(id: number): void {
    this.unwritten[id] = 0;
    if (this.reads[id]! <= 0) this.drop(id);
  }

  /** The run is over: keep only what still has to be written. */
  clear(): void {
    for (let id = 0; id < this.where.length; id++) {
      if (this.where[id] !== NONE && !this.unwritten[id]) this.drop(id);
    }
  }

  private drop(id: number): void {
    const where = this.where[id]!;
    if (where === NONE) return;
    this.where[id] = NONE;
    if (where === BIG) {
      this.big.delete(id);
      return;
    }
    if (--this.slabLive[where]! === 0 && where !== this.current) this.slabs[where] = undefined;
  }
}
