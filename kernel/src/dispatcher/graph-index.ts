// A transport graph indexed for running, built once per dispatch in O(nodes + edges) and kept compact:
// typed arrays (dependants and data inputs in CSR form, kinds, electron and options indexes) instead
// of an object and two arrays per node, so a 100,000-node dispatch costs a few MB while it runs. Read
// from the transport graph's columns (version 2; transport-v1.ts converts older graphs), not kept.
import { createHash } from "node:crypto";
import type { ElectronOptionsDocument, NodeKind, TransportNodeDocument } from "@valence/schema";
import type { GraphEdge } from "../workflow/graph";
import { Interner } from "../workflow/interner";
import type { ElectronSpec } from "../workflow/serialize";
import { EDGE_LETTERS, KIND_LETTERS, type TransportGraph, type TransportOutput } from "../workflow/transport";
import type { SchedulableGraph } from "../shared/scheduler";

const KINDS: readonly NodeKind[] = ["parameter", "electron", "sublattice", "list", "dict", "getitem", "getattr"];
/** A kind's code by the char code of its letter (workflow/transport.ts). */
const KIND_CODES: number[] = [];
KINDS.forEach((kind, code) => (KIND_CODES[KIND_LETTERS[kind].charCodeAt(0)] = code));
const NONE = -1;

export class GraphIndex implements SchedulableGraph {
  readonly size: number;
  readonly latticeName: string;
  readonly electrons: readonly ElectronSpec[];
  readonly output: TransportOutput;
  private readonly kinds: Uint8Array;
  private readonly electronOf: Int32Array;
  /** Index into `options` (equal options documents share one entry), or NONE. */
  private readonly optionsOf: Int32Array;
  private readonly options: readonly ElectronOptionsDocument[];
  private readonly names: string[];
  /** Parameter values, decoded into one buffer: node i's are values[valueAt[i] .. + valueLength[i]). */
  private readonly values: Uint8Array;
  private readonly valueAt: Int32Array;
  private readonly valueLength: Int32Array;
  /** getitem/getattr keys: few nodes have them. */
  private readonly keys = new Map<number, string | number>();
  /** Distinct dependants of node i: deps[depStart[i] .. depStart[i + 1]). */
  private readonly depStart: Int32Array;
  private readonly deps: Int32Array;
  /** The same, for the scheduler to read without a view per node. */
  readonly csr: { readonly start: Int32Array; readonly targets: Int32Array };
  private readonly counts: Int32Array;
  /** Data inputs of node i, in edge order: source, position (NONE when absent), dict key (sparse). */
  private readonly inStart: Int32Array;
  private readonly inSource: Int32Array;
  private readonly inPosition: Int32Array;
  private readonly inKey = new Map<number, string>();
  /** How many distinct nodes read node i's output. */
  private readonly readers: Int32Array;
  private readonly electronHashes = new Map<number, string>();

  constructor(graph: TransportGraph) {
    const { nodes, edges } = graph;
    const n = nodes.kind.length;
    for (const column of ["name", "electron", "options", "valueLength"] as const) {
      if (nodes[column].length !== n)
        throw new RangeError(`nodes.${column} has ${nodes[column].length} entries, not ${n}`);
    }
    this.size = n;
    this.latticeName = graph.latticeName;
    this.electrons = graph.electrons;
    this.output = graph.output;
    this.kinds = new Uint8Array(n);
    this.electronOf = new Int32Array(n);
    this.optionsOf = new Int32Array(n);
    this.names = new Array<string>(n);
    this.valueAt = new Int32Array(n).fill(NONE);
    this.valueLength = new Int32Array(n);
    this.values = Buffer.from(nodes.values, "base64");
    // Equal options documents share one entry (a client may send them apart).
    const distinct = new Interner<string, ElectronOptionsDocument>();
    const options = graph.options.map((document) => distinct.at(JSON.stringify(document), () => document));
    this.options = distinct.values;
    // Indexed loops here: this runs once per dispatch, too few times to be optimized, and an unoptimized
    // for…of allocates a result object per element.
    let valueEnd = 0;
    for (let i = 0; i < n; i++) {
      const kind = KIND_CODES[nodes.kind.charCodeAt(i)] ?? NONE;
      if (kind === NONE) throw new RangeError(`node ${i} has an unknown kind "${nodes.kind[i]}"`);
      this.kinds[i] = kind;
      const name = graph.names[nodes.name[i]!];
      if (name === undefined)
        throw new RangeError(`node ${i} names entry ${nodes.name[i]} of ${graph.names.length} names`);
      this.names[i] = name;
      const electron = nodes.electron[i]!;
      if (electron >= graph.electrons.length) throw new RangeError(`node ${i} has no electron spec`);
      this.electronOf[i] = electron < 0 ? NONE : electron;
      const option = nodes.options[i]!;
      if (option >= options.length) throw new RangeError(`node ${i} names options ${option} of ${options.length}`);
      this.optionsOf[i] = option < 0 ? NONE : options[option]!;
      const length = nodes.valueLength[i]!;
      if (length > 0) {
        this.valueAt[i] = valueEnd;
        this.valueLength[i] = length;
        valueEnd += length;
      }
    }
    if (valueEnd !== this.values.length) {
      throw new RangeError(`nodes.values holds ${this.values.length} bytes, the value lengths add up to ${valueEnd}`);
    }
    for (const [id, key] of Object.entries(nodes.keys ?? {})) {
      if (!(Number(id) < n)) throw new RangeError(`nodes.keys names node ${id}, which the graph does not have`);
      this.keys.set(Number(id), key);
    }
    const m = edges.source.length;
    if (edges.target.length !== m || edges.kind.length !== m || edges.position.length !== m) {
      throw new RangeError(`the edge columns differ in length (${m} sources)`);
    }
    const outDegree = new Int32Array(n + 1);
    const dataInDegree = new Int32Array(n + 1);
    const DATA = EDGE_LETTERS.data.charCodeAt(0);
    for (let e = 0; e < m; e++) {
      const source = edges.source[e]!;
      const target = edges.target[e]!;
      if (!(source < n && target < n && source >= 0 && target >= 0)) {
        throw new RangeError(`edge ${source}→${target} names a node the graph does not have`);
      }
      outDegree[source + 1]!++;
      if (edges.kind.charCodeAt(e) === DATA) dataInDegree[target + 1]!++;
    }
    for (let i = 0; i < n; i++) {
      outDegree[i + 1]! += outDegree[i]!;
      dataInDegree[i + 1]! += dataInDegree[i]!;
    }
    // Dependants: fill by source, then drop repeated targets (f(x, x), data and wait edges together).
    const targets = new Int32Array(m);
    const fill = outDegree.slice(0, n);
    for (let e = 0; e < m; e++) targets[fill[edges.source[e]!]!++] = edges.target[e]!;
    this.depStart = new Int32Array(n + 1);
    this.counts = new Int32Array(n);
    const seen = new Int32Array(n).fill(NONE);
    let kept = 0;
    for (let source = 0; source < n; source++) {
      this.depStart[source] = kept;
      for (let k = outDegree[source]!; k < outDegree[source + 1]!; k++) {
        const target = targets[k]!;
        if (seen[target] === source) continue;
        seen[target] = source;
        targets[kept++] = target;
        this.counts[target]!++;
      }
    }
    this.depStart[n] = kept;
    this.deps = targets.slice(0, kept);
    this.csr = { start: this.depStart, targets: this.deps };
    // Data inputs, in edge order per target: the order call arguments without positions rely on.
    this.inStart = dataInDegree;
    this.inSource = new Int32Array(dataInDegree[n]!);
    this.inPosition = new Int32Array(dataInDegree[n]!);
    const at = dataInDegree.slice(0, n);
    const edgeKeys = edges.keys ?? {};
    for (let e = 0; e < m; e++) {
      if (edges.kind.charCodeAt(e) !== DATA) continue;
      const k = at[edges.target[e]!]!++;
      this.inSource[k] = edges.source[e]!;
      this.inPosition[k] = edges.position[e]! < 0 ? NONE : edges.position[e]!;
      const key = edgeKeys[e];
      if (key !== undefined) this.inKey.set(k, key);
    }
    this.readers = new Int32Array(n);
    seen.fill(NONE);
    for (let target = 0; target < n; target++) {
      for (let k = this.inStart[target]!; k < this.inStart[target + 1]!; k++) {
        const source = this.inSource[k]!;
        if (seen[source] !== target) {
          seen[source] = target;
          this.readers[source]!++;
        }
      }
    }
  }

  /** So the scheduler sees a `nodes.length`. */
  get nodes(): { readonly length: number } {
    return { length: this.size };
  }

  has(id: number): boolean {
    return Number.isInteger(id) && id >= 0 && id < this.size;
  }

  kind(id: number): NodeKind {
    return KINDS[this.kinds[this.check(id)]!]!;
  }

  isTask(id: number): boolean {
    const kind = this.kinds[id];
    return kind === 1 || kind === 2;
  }

  name(id: number): string {
    return this.names[this.check(id)]!;
  }

  electronIndex(id: number): number | undefined {
    const e = this.electronOf[id]!;
    return e === NONE ? undefined : e;
  }

  optionsOfNode(id: number): ElectronOptionsDocument | undefined {
    const o = this.optionsOf[id]!;
    return o === NONE ? undefined : this.options[o];
  }

  /** The options documents of the graph, each once; `optionsIndex` tells which one a node has. */
  optionsIndex(id: number): number {
    return this.optionsOf[id]!;
  }

  /** A parameter's value, serialized (empty when it has none). */
  parameterBytes(id: number): Uint8Array {
    const at = this.valueAt[id]!;
    return at === NONE ? new Uint8Array(0) : this.values.subarray(at, at + this.valueLength[id]!);
  }

  /** The node as it came in the transport graph, rebuilt (for the rare paths that want one). */
  node(id: number): TransportNodeDocument {
    this.check(id);
    const electron = this.electronIndex(id);
    const options = this.optionsOfNode(id);
    const at = this.valueAt[id]!;
    const value = at === NONE ? undefined : Buffer.from(this.parameterBytes(id)).toString("base64");
    const key = this.keys.get(id);
    return {
      id,
      kind: this.kind(id),
      name: this.names[id]!,
      ...(electron !== undefined ? { electron } : {}),
      ...(options !== undefined ? { options } : {}),
      ...(value !== undefined ? { value } : {}),
      ...(key !== undefined ? { key } : {}),
    };
  }

  /**
   * Content hash of an electron's serialized code (and options), computed once per dispatch. Where
   * the code was written (`origin`: a cell's number and line map) is left out: re-running the cell
   * that defines an unchanged electron must not change its key.
   */
  electronHash(index: number): string {
    let hash = this.electronHashes.get(index);
    if (hash === undefined) {
      const spec = this.electrons[index]!;
      const code = { ...spec, functions: spec.functions.map(({ origin: _where, ...fn }) => fn) };
      hash = createHash("sha256").update(JSON.stringify(code)).digest("base64url");
      this.electronHashes.set(index, hash);
    }
    return hash;
  }

  /** How many data inputs the node has (its arity, for a call or a list). */
  dataInputCount(id: number): number {
    return this.inStart[id + 1]! - this.inStart[id]!;
  }

  /** The node's data inputs as edges (helper nodes; see `callArguments` for tasks). */
  dataInputs(id: number): GraphEdge[] {
    const edges: GraphEdge[] = [];
    for (let k = this.inStart[id]!; k < this.inStart[id + 1]!; k++) {
      const position = this.inPosition[k]!;
      const key = this.inKey.get(k);
      edges.push({
        source: this.inSource[k]!,
        target: id,
        kind: "data",
        ...(position !== NONE ? { position } : {}),
        ...(key !== undefined ? { key } : {}),
      });
    }
    return edges;
  }

  /** Arguments in call order, from the data inputs' positions (as workflow/helper-values.ts). */
  callArguments(id: number, valueOf: (node: number) => unknown): unknown[] {
    const args: unknown[] = [];
    for (let k = this.inStart[id]!; k < this.inStart[id + 1]!; k++) {
      const position = this.inPosition[k]!;
      args[position === NONE ? args.length : position] = valueOf(this.inSource[k]!);
    }
    return args;
  }

  /**
   * The node's data inputs in call order when their positions are simply 0, 1, 2… (the usual call),
   * else undefined: then `callArguments` places them.
   */
  argumentSources(id: number): Int32Array | undefined {
    const start = this.inStart[id]!;
    const end = this.inStart[id + 1]!;
    for (let k = start; k < end; k++) {
      const position = this.inPosition[k]!;
      if (position !== NONE && position !== k - start) return undefined;
    }
    return this.inSource.subarray(start, end);
  }

  /** Calls `visit` once per distinct node whose output `id` reads. */
  forEachSource(id: number, visit: (source: number) => void): void {
    const start = this.inStart[id]!;
    const end = this.inStart[id + 1]!;
    // Few inputs (the usual case): look back for repeats; many (a fan-in): a set.
    const seen = end - start > 8 ? new Set<number>() : undefined;
    for (let k = start; k < end; k++) {
      const source = this.inSource[k]!;
      if (seen) {
        if (seen.has(source)) continue;
        seen.add(source);
      } else {
        let repeated = false;
        for (let j = start; j < k && !repeated; j++) repeated = this.inSource[j] === source;
        if (repeated) continue;
      }
      visit(source);
    }
  }

  /** How many distinct nodes read the output of `id`. */
  readersOf(id: number): number {
    return this.readers[id]!;
  }

  dependencyCounts(): Int32Array {
    return this.counts.slice();
  }

  dependantsOf(id: number): Int32Array {
    return this.deps.subarray(this.depStart[id], this.depStart[id + 1]);
  }

  private check(id: number): number {
    if (!this.has(id)) throw new RangeError(`no node ${id} in lattice "${this.latticeName}"`);
    return id;
  }
}
