// The outcomes of several tasks as one message from a local worker (local-protocol.ts, "outcomes"):
// the worker packs what its consecutive tasks ended with (times, flags, outputs one after another,
// the rare errors apart) into one buffer, and the pool reads them back one by one. A message per task
// cost the dispatcher's thread a structured clone and a wake-up each; for short tasks that thread,
// not the worker, is the bottleneck.
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

/** Outcomes of consecutive tasks, kept by the worker until `flush` posts them in one message. */
export class OutcomePack {
  private first = 0;
  private count = 0;
  private readonly times = new Float64Array(TIMES * MAX_BATCH);
  private readonly flags = new Uint8Array(MAX_BATCH);
  private readonly outputs: Array<Uint8Array | undefined> = [];
  private bytes = 0;
  private errors: Record<number, TaskError> | undefined;
  /** When (performance.now()) the oldest outcome kept was added. */
  private since = 0;

  constructor(private readonly post: (reply: OutcomesReply) => void) {}

  /** How many outcomes it holds. */
  get size(): number {
    return this.count;
  }

  /** True when the oldest outcome kept is older than `ms`: the pool should hear of it. */
  olderThan(ms: number, now = performance.now()): boolean {
    return this.count > 0 && now - this.since > ms;
  }

  done(reply: Omit<DoneReply, "type">): void {
    const i = this.add(reply.index);
    const t = i * TIMES;
    this.times[t] = reply.startedAt;
    this.times[t + 1] = reply.endedAt;
    this.times[t + 2] = reply.micros;
    this.flags[i] = (reply.error ? FAILED : 0) | (reply.specFailed ? SPEC_FAILED : 0);
    if (reply.error) (this.errors ??= {})[i] = reply.error;
    this.outputs[i] = reply.output;
    this.bytes += reply.output?.byteLength ?? 0;
    if (this.bytes >= PACK_BYTES) this.flush();
  }

  skipped(index: number, notRun: boolean): void {
    const i = this.add(index);
    this.times.fill(0, i * TIMES, i * TIMES + TIMES);
    this.flags[i] = SKIPPED | (notRun ? NOT_RUN : 0);
    this.outputs[i] = undefined;
  }

  /** Posts the outcomes kept, if any, in one message. */
  flush(): void {
    const n = this.count;
    if (n === 0) return;
    // One buffer: times, output ends, flags, outputs (the floats first, aligned).
    const buffer = new ArrayBuffer(n * (TIMES * 8 + 4 + 1) + this.bytes);
    const times = new Float64Array(buffer, 0, n * TIMES);
    times.set(this.times.subarray(0, n * TIMES));
    const ends = new Int32Array(buffer, n * TIMES * 8, n);
    const flags = new Uint8Array(buffer, n * (TIMES * 8 + 4), n);
    flags.set(this.flags.subarray(0, n));
    const outputs = new Uint8Array(buffer, n * (TIMES * 8 + 4 + 1), this.bytes);
    let end = 0;
    for (let i = 0; i < n; i++) {
      const output = this.outputs[i];
      if (output) {
        outputs.set(output, end);
        end += output.byteLength;
      }
      ends[i] = end;
    }
    const reply: OutcomesReply = {
      type: "outcomes",
      first: this.first,
      times,
      ends,
      flags,
      outputs,
      errors: this.errors,
    };
    this.count = this.bytes = 0;
    this.outputs.length = 0;
    this.errors = undefined;
    // Copied, not moved: for a pack of a few KiB, the copy measured cheaper on the pool's thread.
    this.post(reply);
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
  const failed = (flags & FAILED) !== 0;
  let output = failed ? undefined : reply.outputs.subarray(i === 0 ? 0 : reply.ends[i - 1], reply.ends[i]);
  // A view keeps the whole pack alive: a bigger output, which may be kept a while, gets its own copy.
  if (output && output.byteLength > KEPT_VIEW_BYTES) output = output.slice();
  return {
    type: "done",
    index,
    output,
    error: failed ? reply.errors![i] : undefined,
    startedAt: reply.times[t]!,
    endedAt: reply.times[t + 1]!,
    specFailed: (flags & SPEC_FAILED) !== 0,
    micros: reply.times[t + 2]!,
  };
}
