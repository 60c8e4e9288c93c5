// What a running dispatch records: every change to a node or to the dispatch becomes a store patch
// and an event with the next sequence number, queued together so they commit — and reach
// subscribers — in order.
import type { DispatchSummary, NodeState, ServerMessage } from "@valence/schema";
import type { WriteQueue } from "./write-queue";

export class RunRecorder {
  private seq: number;

  constructor(
    private readonly dispatchId: string,
    private readonly queue: WriteQueue,
    lastSeq: number,
  ) {
    this.seq = lastSeq;
  }

  /** The sequence number of the last event recorded (committed or not). */
  get lastSeq(): number {
    return this.seq;
  }

  node(state: NodeState, stored: { output?: Uint8Array; cacheKey?: string } = {}): void {
    const { id, status, attempts, startedAt, endedAt, error, reused } = state;
    this.queue.patchNode({
      dispatchId: this.dispatchId,
      nodeId: id,
      status,
      attempts,
      ...(startedAt !== undefined ? { startedAt } : {}),
      ...(endedAt !== undefined ? { endedAt } : {}),
      ...(error ? { error } : {}),
      ...(stored.output ? { output: stored.output, outputPreview: state.output! } : {}),
      ...(stored.cacheKey ? { cacheKey: stored.cacheKey } : {}),
      ...(reused ? { reused: true } : {}),
    });
    this.emit({ type: "update", dispatchId: this.dispatchId, seq: ++this.seq, node: { ...state } });
  }

  dispatch(summary: DispatchSummary, result?: Uint8Array): void {
    const { status, startedAt, endedAt, error } = summary;
    this.queue.patchDispatch({
      id: this.dispatchId,
      status,
      ...(startedAt !== undefined ? { startedAt } : {}),
      ...(endedAt !== undefined ? { endedAt } : {}),
      ...(error ? { error } : {}),
      ...(result ? { result } : {}),
    });
    this.emit({ type: "update", dispatchId: this.dispatchId, seq: ++this.seq, dispatch: summary });
  }

  private emit(message: ServerMessage & { seq: number }): void {
    this.queue.addEvent({ dispatchId: this.dispatchId, seq: message.seq, body: message });
  }
}
