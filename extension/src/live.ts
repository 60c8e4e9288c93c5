// Live status of one dispatch over the dispatcher's websocket: a snapshot, then node updates (single
// or in batches), handed to the view at most once per animation frame. A dropped connection reconnects with backoff and
// resubscribes after the last sequence number seen, so nothing is missed or applied twice.
import type { DispatchSummary, NodeState, ServerMessage, UpdateMessage } from "./schema/protocol.generated";
import type { DispatcherLink } from "./link";
import { isFinal } from "./schema/display";

/**
 * waiting: no kernel has said where the dispatcher is yet; live: subscribed; reconnecting: the
 * socket dropped, trying again; final: the dispatch ended, nothing more will come; offline: the
 * dispatcher is gone or refuses, the view shows the last known state.
 */
export type LiveState = "waiting" | "live" | "reconnecting" | "final" | "offline";

export interface LiveListener {
  snapshot(dispatch: DispatchSummary, nodes: NodeState[]): void;
  /** The newest state of each node changed since the last call (one call per frame at most). */
  updates(nodes: NodeState[], dispatch: DispatchSummary | undefined): void;
  state(state: LiveState, detail?: string): void;
}

export { isFinal };

/** Backoff between reconnects: 250 ms doubling to 10 s, with jitter so tabs do not stampede. */
const backoffMs = (attempt: number): number => Math.min(250 * 2 ** attempt, 10_000) * (0.8 + Math.random() * 0.4);
/** After this many failed reconnects in a row the view says it shows the last known state. */
const OFFLINE_AFTER = 3;

export class DispatchWatch {
  private socket: WebSocket | undefined;
  private lastSeq: number | undefined;
  private failures = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private frame: number | undefined;
  private readonly pending = new Map<number, NodeState>();
  private pendingDispatch: DispatchSummary | undefined;
  private disposed = false;
  private done = false;

  constructor(
    private readonly link: DispatcherLink,
    readonly dispatchId: string,
    private readonly listener: LiveListener,
  ) {
    link.changed.connect(this.onAddress, this);
    this.open();
  }

  dispose(): void {
    this.disposed = true;
    this.link.changed.disconnect(this.onAddress, this);
    clearTimeout(this.timer);
    if (this.frame !== undefined) cancelAnimationFrame(this.frame);
    this.socket?.close();
    this.socket = undefined;
  }

  private onAddress(): void {
    if (this.done || this.disposed) return;
    // A new address (another dispatcher start, a restarted kernel): connect there at once.
    this.failures = 0;
    clearTimeout(this.timer);
    this.socket?.close();
    this.open();
  }

  private open(): void {
    const url = this.link.eventsUrl();
    if (!url) return this.listener.state("waiting", "waiting for a Valence kernel to say where the dispatcher is");
    const socket = new WebSocket(url);
    this.socket = socket;
    socket.onopen = () => {
      this.failures = 0;
      const afterSeq = this.lastSeq;
      socket.send(
        JSON.stringify({
          type: "subscribe",
          dispatchId: this.dispatchId,
          ...(afterSeq !== undefined ? { afterSeq } : {}),
        }),
      );
      this.listener.state("live");
    };
    socket.onmessage = (event) => this.receive(event.data);
    socket.onclose = () => {
      if (this.socket !== socket || this.disposed || this.done) return;
      this.socket = undefined;
      this.failures += 1;
      this.listener.state(
        this.failures > OFFLINE_AFTER ? "offline" : "reconnecting",
        this.failures > OFFLINE_AFTER ? "the dispatcher does not answer; showing the last known state" : undefined,
      );
      // From the second failure on, ask the kernel whether the dispatcher moved (a restart has a new
      // address and token); a changed address reconnects at once through onAddress.
      if (this.failures >= 2) void this.link.refresh();
      this.timer = setTimeout(() => this.open(), backoffMs(this.failures));
    };
  }

  private receive(data: unknown): void {
    let message: ServerMessage;
    try {
      message = JSON.parse(String(data)) as ServerMessage;
    } catch {
      return console.warn("Valence: the dispatcher sent a message that is not JSON");
    }
    switch (message.type) {
      case "snapshot":
        this.lastSeq = message.seq;
        this.pending.clear();
        this.listener.snapshot(message.dispatch, message.nodes);
        if (isFinal(message.dispatch.status)) this.finish();
        return;
      case "update":
        return this.queue([message]);
      case "batch":
        return this.queue(message.updates);
      case "error":
        // The dispatcher knows no such dispatch (another data directory, a deleted store): say so.
        this.done = true;
        this.listener.state("offline", message.message);
        this.socket?.close();
        return;
    }
  }

  private queue(updates: readonly UpdateMessage[]): void {
    for (const update of updates) {
      if (this.lastSeq !== undefined && update.seq <= this.lastSeq) continue;
      this.lastSeq = update.seq;
      if (update.node) this.pending.set(update.node.id, update.node);
      if (update.dispatch) this.pendingDispatch = update.dispatch;
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.frame !== undefined) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = undefined;
      const nodes = [...this.pending.values()];
      const dispatch = this.pendingDispatch;
      this.pending.clear();
      this.pendingDispatch = undefined;
      this.listener.updates(nodes, dispatch);
      if (dispatch && isFinal(dispatch.status)) this.finish();
    });
  }

  private finish(): void {
    this.done = true;
    this.listener.state("final");
    this.socket?.close();
  }
}
