// The outcomes of several tasks as one message from a local worker (local-protocol.ts, "outcomes"):
// the worker packs what its consecutive tasks ended with (times, flags, outputs or errors one after
// another) and the pool reads them back one by one. A message per task cost the dispatcher's thread a
// structured clone and a wake-up each; for short tasks that thread, not the worker, is the bottleneck.
// The outcomes not sent yet live in memory the pool shares with the worker: a worker terminated (an
// abort of the task it runs), out of memory or crashed before it sent them leaves them to the pool
// (`heldOutcomes`), so the tasks that ended before it are not run again.
import type { TaskError } from "./executor";
import { MAX_BATCH, type DoneReply, type OutcomesReply, type SkippedReply } from "./local-protocol";

/** Flags of a packed outcome. */
const FAILED = 1;
const SPEC_FAILED = 2;
const SKIPPED = 4;
const NOT_RUN = 8;
/** Floats per task in `times`. */
const TIMES = 3;

/** An output larger than this is not copied into a pack: it goes in a message of its own, moved. */
export const LARGE_OUTPUT = 64 * 1024;
/** Outputs up to this size are handed on as views into their pack (the dispatcher copies them anyway). */
const KEPT_VIEW_BYTES = 1024;
/** A pack whose outputs reach this much is sent at once. */
const PACK_BYTES = 256 * 1024;

/** Int32 fields at the start of the shared memory: outcomes held, the first one's slot, their bytes. */
const COUNT = 0;
const FIRST = 1;
const BYTES = 2;
const HEADER_BYTES = 16;
/** Outputs held stay under PACK_BYTES + one more, itself at most LARGE_OUTPUT. */
const OUTPUT_ROOM = PACK_BYTES + LARGE_OUTPUT;

/** Where a worker keeps the outcomes it has not sent: one per worker, made by the pool. */
export function outcomeMemory(): SharedArrayBuffer {
  return new SharedArrayBuffer(HEADER_BYTES + MAX_BATCH * (TIMES * 8 + 4 + 1) + OUTPUT_ROOM);
}

interface Held {
  readonly header: Int32Array;
  readonly times: Float64Array;
  readonly ends: Int32Array;
  readonly flags: Uint8Array;
  readonly outputs: Uint8Array;
}

function held(memory: SharedArrayBuffer): Held {
  const times = HEADER_BYTES;
  const ends = times + MAX_BATCH * TIMES * 8;
  const flags = ends + MAX_BATCH * 4;
  const outputs = flags + MAX_BATCH;
  return {
    header: new Int32Array(memory, 0, HEADER_BYTES / 4),
    times: new Float64Array(memory, times, MAX_BATCH * TIMES),
    ends: new Int32Array(memory, ends, MAX_BATCH),
    flags: new Uint8Array(memory, flags, MAX_BATCH),
    outputs: new Uint8Array(memory, outputs, OUTPUT_ROOM),
  };
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/**
 * What an error is kept as in a pack, or undefined when it is too large to keep (it is then sent
 * alone): the error document as JSON.
 */
export function packedError(error: TaskError): Uint8Array | undefined {
  const bytes = utf8.encode(JSON.stringify(error));
  return bytes.byteLength > LARGE_OUTPUT ? undefined : bytes;
}

/** Outcomes of consecutive tasks, kept by the worker (in memory the pool can read) until `flush` posts them. */
export class OutcomePack {
  private first = 0;
  private count = 0;
  private bytes = 0;
  private readonly held: Held;
  /** When (performance.now()) the oldest outcome kept was added. */
  private since = 0;

  constructor(
    private readonly post: (reply: OutcomesReply) => void,
    memory: SharedArrayBuffer,
  ) {
    this.held = held(memory);
  }

  /** How many outcomes it holds. */
  get size(): number {
    return this.count;
  }

  /** True when the oldest outcome kept is older than `ms`: the pool should hear of it. */
  olderThan(ms: number, now = performance.now()): boolean {
    return this.count > 0 && now - this.since > ms;
  }

  /**
   * Keeps a task's outcome: its output (at most LARGE_OUTPUT bytes) or its error as `packedError`
   * made it. Once this returns, a pool that finds the worker gone reads the outcome.
   */
  done(reply: Omit<DoneReply, "type" | "output" | "error">, bytes: Uint8Array | undefined, failed: boolean): void {
    const i = this.add(reply.index);
    const { times, flags, ends, outputs, header } = this.held;
    const t = i * TIMES;
    times[t] = reply.startedAt;
    times[t + 1] = reply.endedAt;
    times[t + 2] = reply.micros;
    flags[i] = (failed ? FAILED : 0) | (reply.specFailed ? SPEC_FAILED : 0);
    if (bytes) outputs.set(bytes, this.bytes);
    this.bytes += bytes?.byteLength ?? 0;
    ends[i] = this.bytes;
    this.commit(header);
  }

  /** True when the outputs kept reach PACK_BYTES: the pack should be sent now. */
  get full(): boolean {
    return this.bytes >= PACK_BYTES;
  }

  skipped(index: number, notRun: boolean): void {
    const i = this.add(index);
    const { times, flags, ends, header } = this.held;
    times.fill(0, i * TIMES, i * TIMES + TIMES);
    flags[i] = SKIPPED | (notRun ? NOT_RUN : 0);
    ends[i] = this.bytes;
    this.commit(header);
  }

  /** Posts the outcomes kept, if any, in one message. */
  flush(): void {
    const n = this.count;
    if (n === 0) return;
    const { times, ends, flags, outputs, header } = this.held;
    // One buffer: times, output ends, flags, outputs (the floats first, aligned).
    const buffer = new ArrayBuffer(n * (TIMES * 8 + 4 + 1) + this.bytes);
    const reply: OutcomesReply = {
      type: "outcomes",
      first: this.first,
      times: new Float64Array(buffer, 0, n * TIMES),
      ends: new Int32Array(buffer, n * TIMES * 8, n),
      flags: new Uint8Array(buffer, n * (TIMES * 8 + 4), n),
      outputs: new Uint8Array(buffer, n * (TIMES * 8 + 4 + 1), this.bytes),
    };
    reply.times.set(times.subarray(0, n * TIMES));
    reply.ends.set(ends.subarray(0, n));
    reply.flags.set(flags.subarray(0, n));
    reply.outputs.set(outputs.subarray(0, this.bytes));
    // Copied, not moved: for a pack of a few KiB, the copy measured cheaper on the pool's thread.
    this.post(reply);
    // After the post: a worker that ends between the two leaves outcomes the pool has had already,
    // which it ignores; one that ended before it leaves them to be read.
    this.count = this.bytes = 0;
    Atomics.store(header, COUNT, 0);
  }

  /** The position of slot `index` in the pack: packs hold consecutive slots (else it is sent first). */
  private add(index: number): number {
    if (this.count > 0 && index !== this.first + this.count) this.flush();
    if (this.count === 0) {
      this.first = index;
      this.since = performance.now();
    }
    return this.count++;
  }

  /** Makes the outcome just written readable by the pool: the count goes last. */
  private commit(header: Int32Array): void {
    header[FIRST] = this.first;
    header[BYTES] = this.bytes;
    Atomics.store(header, COUNT, this.count);
  }
}

/**
 * The outcomes a worker that is gone kept without sending, as the message that would have sent
 * them; undefined when it kept none. Read only once its thread has ended.
 */
export function heldOutcomes(memory: SharedArrayBuffer): OutcomesReply | undefined {
  const { header, times, ends, flags, outputs } = held(memory);
  const n = Atomics.load(header, COUNT);
  if (n === 0) return undefined;
  return {
    type: "outcomes",
    first: header[FIRST]!,
    times: times.slice(0, n * TIMES),
    ends: ends.slice(0, n),
    flags: flags.slice(0, n),
    outputs: outputs.slice(0, header[BYTES]),
  };
}

/** How many outcomes the message holds. */
export function packSize(reply: OutcomesReply): number {
  return reply.flags.length;
}

/** Outcome `i` of the message, as the reply it stands for. */
export function packedOutcome(reply: OutcomesReply, i: number): DoneReply | SkippedReply {
  const index = reply.first + i;
  const flags = reply.flags[i]!;
  if (flags & SKIPPED) return flags & NOT_RUN ? { type: "skipped", index, notRun: true } : { type: "skipped", index };
  const t = i * TIMES;
  const bytes = reply.outputs.subarray(i === 0 ? 0 : reply.ends[i - 1], reply.ends[i]);
  const failed = (flags & FAILED) !== 0;
  // A view keeps the whole pack alive: a bigger output, which may be kept a while, gets its own copy.
  const output = failed ? undefined : bytes.byteLength > KEPT_VIEW_BYTES ? bytes.slice() : bytes;
  return {
    type: "done",
    index,
    output,
    error: failed ? (JSON.parse(fromUtf8.decode(bytes)) as TaskError) : undefined,
    startedAt: reply.times[t]!,
    endedAt: reply.times[t + 1]!,
    specFailed: (flags & SPEC_FAILED) !== 0,
    micros: reply.times[t + 2]!,
  };
}
