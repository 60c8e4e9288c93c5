// The store's write side, used only inside one of its transactions (Store.apply, Store.transaction):
// new dispatches with their nodes, dispatch and node updates, event blocks and log lines.
import { BlockBuilder, blockable, blockIndexOf, emptyBlockIndex, type BlockCache } from "./node-blocks";
import { NodeList, type NodeLists } from "./node-list";
import { writeOutputFile } from "./output-files";
import type { DispatchEvent, DispatchPatch, LogBatch, NewDispatch, NodePatch } from "./records";
import type { NodeRowUpdate } from "./rows";
import type { Statements } from "./statements";

export type { NodeRowUpdate };

/** A node's whole state as one row update (see `StoreWriter.node`). */

export class StoreWriter {
  /** Last sequence number written per dispatch in the current transaction (saves a query per block). */
  private readonly seqs = new Map<string, number>();
  /** Completed nodes of the current transaction, per dispatch, written as one block each at its end. */
  private readonly blocks = new Map<string, BlockBuilder>();

  constructor(
    private readonly st: Statements,
    private readonly dataDir: string,
    private readonly largeOutputBytes: number,
    private readonly lists: NodeLists,
    private readonly blockCache: BlockCache,
  ) {}

  /** Called as each transaction begins (a nested one too: the blocks so far are the outer one's). */
  begin(): void {
    this.end();
    this.seqs.clear();
  }

  /** Called as each transaction's body returns: writes its blocks. */
  end(): void {
    for (const [dispatchId, builder] of this.blocks) if (builder.size) this.writeBlock(dispatchId, builder);
    this.blocks.clear();
  }

  /** The transaction failed: what it had not written yet is dropped with it. */
  discard(): void {
    this.blocks.clear();
  }

  insertDispatch(d: NewDispatch): void {
    const { id, parentId = null, parentNode = null, volume = null, triggerId = null } = d;
    this.st.insertDispatch.run(id, d.latticeName, d.createdAt, parentId, parentNode, volume, triggerId);
    // No node rows yet: each is written when its node first changes (node-list.ts).
    const { list, text } = NodeList.build(d.nodes);
    emptyBlockIndex(list, this.blockCache);
    this.st.insertSpec.run(id, d.graph, d.lattice, d.inputs, text, d.graphInRequest ? 1 : 0);
    this.lists.add(id, list);
  }

  patchDispatch(p: DispatchPatch): void {
    const error = p.error ? JSON.stringify(p.error) : null;
    const fields = [p.status ?? null, p.startedAt ?? null, p.endedAt ?? null, error, p.result ?? null];
    if (this.st.patchDispatch.run(...fields, p.id).changes !== 1) {
      throw new Error(`store: no dispatch ${p.id} to update`);
    }
  }

  /** A node patch (records.ts): absent fields keep their stored values, except `error`. */
  patchNode(p: NodePatch): void {
    this.node(p.dispatchId, p.nodeId, {
      status: p.status!,
      attempts: p.attempts ?? NaN,
      startedAt: p.startedAt ?? NaN,
      endedAt: p.endedAt ?? NaN,
      error: p.error,
      output: p.output,
      outputPreview: p.outputPreview ? JSON.stringify(p.outputPreview) : undefined,
      reused: p.reused,
      cacheKey: p.cacheKey,
      sharedKey: true,
      worker: p.worker ? JSON.stringify(p.worker) : undefined,
      queuedMs: p.queuedMs,
    });
  }

  /**
   * Writes a node's whole state (NaN and undefined: none, not "keep"): a completed one joins its
   * dispatch's block of this transaction (node-blocks.ts), any other gets its row.
   */
  nodeState(dispatchId: string, nodeId: number, u: NodeRowUpdate): void {
    const list = this.lists.get(dispatchId);
    if (list?.has(nodeId) && blockable(u, this.largeOutputBytes)) {
      let builder = this.blocks.get(dispatchId);
      if (!builder) this.blocks.set(dispatchId, (builder = new BlockBuilder()));
      builder.add(nodeId, u);
      return;
    }
    this.node(dispatchId, nodeId, u);
  }

  /**
   * Writes a node's state: an absent `error`, `worker` or `queuedMs` clears a stored one (a retry that
   * succeeded, or ran elsewhere); other absent fields keep their stored values. A large output goes to a file first (see output-files.ts).
   */
  node(dispatchId: string, nodeId: number, u: NodeRowUpdate): void {
    // A row written now is newer than a block entry of this transaction.
    if (this.blocks.size) this.blocks.get(dispatchId)?.drop(nodeId);
    const output = u.output;
    const large = output !== undefined && output.byteLength > this.largeOutputBytes;
    const list = this.lists.get(dispatchId);
    const listed = list?.has(nodeId) === true;
    if (large && !listed && !this.st.getNode.get(dispatchId, nodeId)) throw noNode(dispatchId, nodeId);
    const file = large ? writeOutputFile(this.dataDir, dispatchId, nodeId, output) : null;
    const inline = large ? null : (output ?? null);
    // A listed node without a row gets it now; a row the list did not know of (or one a rolled-back
    // transaction took away) is found by trying the other statement.
    const stored = listed && list!.isStored(nodeId, () => this.st.storedNodeIds.iterate(dispatchId));
    if (listed && !stored && this.insertNode(list!, dispatchId, nodeId, u, inline, file)) return;
    if (this.updateNode(dispatchId, nodeId, u, inline, file) === 1) return list?.markStored(nodeId);
    if (listed && stored && this.insertNode(list!, dispatchId, nodeId, u, inline, file)) return;
    throw noNode(dispatchId, nodeId);
  }

  private insertNode(
    list: NodeList,
    dispatchId: string,
    nodeId: number,
    u: NodeRowUpdate,
    output: Uint8Array | null,
    file: string | null,
  ): boolean {
    // A node in a block keeps what its entry holds, for the fields the update leaves as they are.
    const entry = blockIndexOf(list, dispatchId, this.st, this.blockCache).entry(nodeId);
    const was = entry?.block.rowValues(entry.at);
    const changes = this.st.insertNode.run(
      dispatchId,
      nodeId,
      list.kind(nodeId),
      list.name(nodeId),
      u.status ?? (was ? "COMPLETED" : list.status(nodeId)),
      Number.isNaN(u.attempts) ? (was?.attempts ?? 0) : u.attempts,
      Number.isNaN(u.startedAt) ? (was?.startedAt ?? null) : u.startedAt,
      Number.isNaN(u.endedAt) ? (was?.endedAt ?? null) : u.endedAt,
      u.error ? JSON.stringify(u.error) : null,
      output ?? (file === null ? (was?.output ?? null) : null),
      file,
      u.outputPreview ?? was?.preview ?? null,
      (u.reused ?? was?.reused) ? 1 : 0,
      u.sharedKey ? (u.cacheKey ?? null) : null,
      u.sharedKey ? null : (u.cacheKey ?? was?.contentKey ?? null),
      u.worker ?? null,
      u.queuedMs ?? null,
    ).changes;
    if (changes === 1) list.markStored(nodeId);
    return changes === 1;
  }

  /** Updates a stored row; returns the number of rows changed (0 or 1). */
  private updateNode(
    dispatchId: string,
    nodeId: number,
    u: NodeRowUpdate,
    output: Uint8Array | null,
    file: string | null,
  ): number {
    const hasOutput = output !== null || file !== null ? 1 : 0;
    return this.st.patchNode.run(
      u.status ?? null,
      Number.isNaN(u.attempts) ? null : u.attempts,
      Number.isNaN(u.startedAt) ? null : u.startedAt,
      Number.isNaN(u.endedAt) ? null : u.endedAt,
      u.error ? JSON.stringify(u.error) : null,
      hasOutput,
      output,
      hasOutput,
      file,
      u.outputPreview ?? null,
      u.reused === undefined ? null : Number(u.reused),
      u.sharedKey ? (u.cacheKey ?? null) : null,
      u.sharedKey ? null : (u.cacheKey ?? null),
      u.worker ?? null,
      u.queuedMs ?? null,
      dispatchId,
      nodeId,
    ).changes;
  }

  /** A node's row is newer than its block entry: rows written before (a long task's RUNNING) go first. */
  private writeBlock(dispatchId: string, builder: BlockBuilder): void {
    const list = this.lists.get(dispatchId)!;
    for (const id of builder.ids) {
      if (!list.isStored(id, () => this.st.storedNodeIds.iterate(dispatchId))) continue;
      this.st.deleteNode.run(dispatchId, id);
      list.markStored(id, false);
    }
    const { lastInsertRowid } = this.st.insertNodeBlock.run(dispatchId, ...builder.columns());
    list.blocks?.written(Number(lastInsertRowid), builder.ids);
  }

  /** Events in any order of dispatches; each dispatch's run of consecutive events becomes one block. */
  events(events: readonly DispatchEvent[]): void {
    for (let i = 0; i < events.length;) {
      const dispatchId = events[i]!.dispatchId;
      let end = i + 1;
      while (end < events.length && events[end]!.dispatchId === dispatchId) end++;
      const run = events.slice(i, end);
      run.forEach((e, k) => {
        if (e.seq !== run[0]!.seq + k) this.outOfSequence(dispatchId, e.seq, run[0]!.seq + k);
      });
      this.eventBlock(dispatchId, run[0]!.seq, run.length, JSON.stringify(run.map((e) => e.body)));
      i = end;
    }
  }

  /**
   * A block of `count` events numbered from `firstSeq`, which must follow the dispatch's last stored
   * event; `bodies` is their JSON array.
   */
  eventBlock(dispatchId: string, firstSeq: number, count: number, bodies: string): void {
    let last = this.seqs.get(dispatchId);
    if (last === undefined) {
      last = this.st.lastSeq.get(dispatchId, dispatchId)!.seq;
      if (last === 0 && !this.st.dispatchExists.get(dispatchId)) {
        throw new Error(`store: no dispatch ${dispatchId} for event ${firstSeq}`);
      }
    }
    if (firstSeq !== last + 1) this.outOfSequence(dispatchId, firstSeq, last + 1);
    const lastSeq = firstSeq + count - 1;
    this.st.insertEventBlock.run(dispatchId, firstSeq, lastSeq, bodies);
    this.seqs.set(dispatchId, lastSeq);
  }

  logs(l: LogBatch): void {
    for (const line of l.lines) {
      this.st.insertLog.run(l.dispatchId, l.nodeId, l.attempt, line.stream, line.text, line.at);
    }
  }

  private outOfSequence(dispatchId: string, seq: number, expected: number): never {
    throw new Error(`store: event ${seq} of dispatch ${dispatchId} is out of sequence (expected ${expected})`);
  }
}

const noNode = (dispatchId: string, nodeId: number): Error =>
  new Error(`store: no node ${nodeId} in dispatch ${dispatchId} to update`);
