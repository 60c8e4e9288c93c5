// A dispatch's node states as columns (NodeColumns in schema/protocol.schema.json): the compact form
// getResult asks for (?nodes=columns). The server builds it straight from stored rows, with no object
// per node; the client turns it back into NodeState objects equal, field for field, to the object
// form. For a 10,000-task fan-out that is a fraction of the bytes and of the time on both sides.
import type { NodeColumns, NodeState, Status, ValuePreview, WorkerInfo } from "@valence/schema";

const LETTERS: ReadonlyArray<readonly [Status, string]> = [
  ["NEW_OBJECT", "N"],
  ["PENDING", "P"],
  ["RUNNING", "R"],
  ["COMPLETED", "C"],
  ["FAILED", "F"],
  ["CANCELLED", "X"],
];
const LETTER = new Map<string, string>(LETTERS);
const STATUS = new Map<string, Status>(LETTERS.map(([status, letter]) => [letter, status]));

/** The values one node puts in the columns (a preview or worker as its JSON text or as an object). */
interface ColumnValues {
  id: number;
  /** The status's letter. */
  letter: string;
  attempts: number;
  startedAt: number | null;
  endedAt: number | null;
  output: string | ValuePreview | null;
  reused: boolean;
  worker: string | WorkerInfo | null;
  queuedMs: number | null;
}

/** Appends nodes to the columns, in order. */
class ColumnsBuilder {
  private ids: number[] | undefined;
  private status = "";
  private readonly attempts: number[] = [];
  private base: number | undefined;
  private readonly startedAt: Array<number | null> = [];
  private readonly endedAt: Array<number | null> = [];
  // Distinct previews and workers, by JSON text (stored rows) or by identity (live states, which share them).
  private readonly previews: ValuePreview[] = [];
  private readonly previewAt = new Map<string | ValuePreview, number>();
  private readonly outputAt: number[] = [];
  private lastPreview: string | ValuePreview | undefined;
  private lastPreviewIndex = -1;
  private reused: number[] | undefined;
  private workers: WorkerInfo[] | undefined;
  private readonly workerIndex = new Map<string | WorkerInfo, number>();
  private workerAt: number[] | undefined;
  private queuedMs: Array<number | null> | undefined;
  private readonly others: NodeState[] = [];

  /** A node the columns hold entirely; false (nothing added) when a time is not exact as an offset. */
  add(v: ColumnValues): boolean {
    if (!this.exact(v.startedAt) || !this.exact(v.endedAt)) return false;
    const i = this.next(v.id, v.letter, v.attempts);
    this.startedAt.push(v.startedAt === null ? null : v.startedAt - this.base!);
    this.endedAt.push(v.endedAt === null ? null : v.endedAt - this.base!);
    this.outputAt.push(v.output === null ? -1 : this.previewIndex(v.output));
    if (v.reused) (this.reused ??= []).push(i);
    if (v.worker !== null && !this.workerAt) this.workerAt = new Array<number>(i).fill(-1);
    this.workerAt?.push(v.worker === null ? -1 : this.workerIndexOf(v.worker));
    if (v.queuedMs !== null && !this.queuedMs) this.queuedMs = new Array<number | null>(i).fill(null);
    this.queuedMs?.push(v.queuedMs);
    return true;
  }

  /** A node sent whole in `others`; its entry in the columns keeps its status and attempts. */
  addOther(state: NodeState): void {
    // An unknown status (never written by this dispatcher) travels here, its letter a stand-in.
    this.next(state.id, LETTER.get(state.status) ?? "N", state.attempts);
    this.startedAt.push(null);
    this.endedAt.push(null);
    this.outputAt.push(-1);
    this.workerAt?.push(-1);
    this.queuedMs?.push(null);
    this.others.push(state);
  }

  build(): NodeColumns {
    return {
      ...(this.ids ? { ids: this.ids } : {}),
      status: this.status,
      attempts: this.attempts,
      base: this.base ?? 0,
      startedAt: this.startedAt,
      endedAt: this.endedAt,
      previews: this.previews,
      outputAt: this.outputAt,
      ...(this.reused ? { reused: this.reused } : {}),
      ...(this.workerAt ? { workers: this.workers ?? [], workerAt: this.workerAt } : {}),
      ...(this.queuedMs ? { queuedMs: this.queuedMs } : {}),
      others: this.others,
    };
  }

  /** Adds the entry's id, status letter and attempts; returns its index. */
  private next(id: number, letter: string, attempts: number): number {
    const i = this.attempts.length;
    // Ids are 0…n-1 but for nodes a store has no row of: then the ids are listed.
    if (!this.ids && id !== i) this.ids = Array.from({ length: i }, (_, k) => k);
    this.ids?.push(id);
    this.status += letter;
    this.attempts.push(attempts);
    return i;
  }

  /** Whether `base + (time - base)` gives `time` back (it does for any two epoch times in ms). */
  private exact(time: number | null): boolean {
    if (time === null) return true;
    this.base ??= time;
    return this.base + (time - this.base) === time;
  }

  private previewIndex(output: string | ValuePreview): number {
    // Neighbours mostly have equal previews (a fan-out's `0`s): compared before the map is asked.
    if (output === this.lastPreview) return this.lastPreviewIndex;
    let index = this.previewAt.get(output);
    if (index === undefined) {
      index = this.previews.push(typeof output === "string" ? (JSON.parse(output) as ValuePreview) : output) - 1;
      this.previewAt.set(output, index);
    }
    this.lastPreview = output;
    this.lastPreviewIndex = index;
    return index;
  }

  private workerIndexOf(worker: string | WorkerInfo): number {
    let index = this.workerIndex.get(worker);
    if (index === undefined) {
      const workers = (this.workers ??= []);
      index = workers.push(typeof worker === "string" ? (JSON.parse(worker) as WorkerInfo) : worker) - 1;
      this.workerIndex.set(worker, index);
    }
    return index;
  }
}

/**
 * From `Store.nodeStateRows`: [node_id, status, attempts, started_at, ended_at, error, output_preview,
 * reused, worker, queued_ms]. Previews and workers are parsed once per distinct text; a row the
 * columns have no room for goes whole, as `whole` makes it (the store's own reading of a row).
 */
export function storedNodeColumns(rows: Iterable<unknown[]>, whole: (row: unknown[]) => NodeState): NodeColumns {
  const builder = new ColumnsBuilder();
  // One object reused for every row: nothing is made per node but the column entries.
  const v: ColumnValues = {
    id: 0,
    letter: "",
    attempts: 0,
    startedAt: null,
    endedAt: null,
    output: null,
    reused: false,
    worker: null,
    queuedMs: null,
  };
  for (const row of rows) {
    v.id = row[0] as number;
    const letter = LETTER.get(row[1] as string);
    v.attempts = row[2] as number;
    v.startedAt = row[3] as number | null;
    v.endedAt = row[4] as number | null;
    v.output = row[6] as string | null;
    v.reused = row[7] === 1;
    v.worker = row[8] as string | null;
    v.queuedMs = row[9] as number | null;
    // An error is rare and big: the node goes whole, as the object form has it.
    if (letter === undefined || row[5] !== null) {
      builder.addOther(whole(row));
      continue;
    }
    v.letter = letter;
    if (!builder.add(v)) builder.addOther(whole(row));
  }
  return builder.build();
}

/** Live states (a running dispatch's) as columns. */
export function nodeColumns(states: Iterable<NodeState>): NodeColumns {
  const builder = new ColumnsBuilder();
  for (const s of states) {
    const letter = LETTER.get(s.status);
    // Sent whole: what the columns have no room for (an error, `waiting`, a `reused: false`).
    const whole = letter === undefined || s.error !== undefined || s.waiting !== undefined || s.reused === false;
    const added =
      !whole &&
      builder.add({
        id: s.id,
        letter,
        attempts: s.attempts,
        startedAt: s.startedAt ?? null,
        endedAt: s.endedAt ?? null,
        output: s.output ?? null,
        reused: s.reused === true,
        worker: s.worker ?? null,
        queuedMs: s.queuedMs ?? null,
      });
    if (!added) builder.addOther(s);
  }
  return builder.build();
}

/** The NodeState objects the columns stand for, in order: those of the object form, field for field. */
export function nodeStatesOf(c: NodeColumns): NodeState[] {
  const n = c.status.length;
  const others = new Map(c.others.map((s) => [s.id, s]));
  const reused = new Uint8Array(n);
  for (const i of c.reused ?? []) reused[i] = 1;
  const states = new Array<NodeState>(n);
  for (let i = 0; i < n; i++) {
    const id = c.ids ? c.ids[i]! : i;
    const other = others.size ? others.get(id) : undefined;
    if (other) {
      states[i] = other;
      continue;
    }
    // Fields in the order the server's objects have them (node-states.ts), so JSON texts agree too.
    const state: NodeState = { id, status: statusOf(c.status[i]!), attempts: c.attempts[i]! };
    const startedAt = c.startedAt[i];
    if (startedAt !== null && startedAt !== undefined) state.startedAt = c.base + startedAt;
    const endedAt = c.endedAt[i];
    if (endedAt !== null && endedAt !== undefined) state.endedAt = c.base + endedAt;
    const output = c.outputAt[i]!;
    if (output >= 0) state.output = c.previews[output]!;
    if (reused[i]) state.reused = true;
    const worker = c.workerAt?.[i] ?? -1;
    if (worker >= 0) state.worker = c.workers![worker]!;
    const queuedMs = c.queuedMs?.[i];
    if (queuedMs !== null && queuedMs !== undefined) state.queuedMs = queuedMs;
    states[i] = state;
  }
  return states;
}

/** How many nodes have each status, in order of first appearance, without making the nodes. */
export function statusCounts(c: NodeColumns): Map<Status, number> {
  // A letter is a stand-in only for a status this dispatcher never writes (then the node is in `others`).
  const position = c.ids ? new Map(c.ids.map((id, i) => [id, i])) : undefined;
  const agree = c.others.every((o) => c.status[position ? position.get(o.id)! : o.id] === LETTER.get(o.status));
  const counts = new Map<Status, number>();
  if (!agree) {
    for (const node of nodeStatesOf(c)) counts.set(node.status, (counts.get(node.status) ?? 0) + 1);
    return counts;
  }
  for (const letter of c.status) {
    const status = statusOf(letter);
    counts.set(status, (counts.get(status) ?? 0) + 1);
  }
  return counts;
}

function statusOf(letter: string): Status {
  const status = STATUS.get(letter);
  if (status === undefined) throw new Error(`node columns: unknown status letter "${letter}"`);
  return status;
}
