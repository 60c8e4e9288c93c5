// The browser's link to the dispatcher: its address and read credential, learnt from a running
// Valence kernel through the "valence.dispatcher" comm and held only in memory (never in the
// notebook). Reads go straight to the dispatcher; cancelling goes back through the kernel, which
// alone holds the token that may change anything.
import { Signal, type ISignal } from "@lumino/signaling";

import type { KernelCommReply, KernelCommRequest } from "./schema/protocol.generated";

export interface DispatcherAddress {
  /** http://127.0.0.1:port */
  readonly url: string;
  /** Lets this page GET and subscribe, nothing else. */
  readonly readToken: string;
}

/** Sends a request over a kernel comm and resolves with the kernel's answer (KernelCommReply of protocol.schema.json). */
export type KernelRequest = (data: KernelCommRequest) => Promise<KernelCommReply>;

export class DispatcherUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DispatcherUnavailable";
  }
}

export class DispatcherLink {
  private address: DispatcherAddress | undefined;
  private request: KernelRequest | undefined;
  private overrideUrl = "";
  private readonly changedSignal = new Signal<this, DispatcherAddress | undefined>(this);

  /** Emits when a kernel hands over an address or the last kernel with one goes away. */
  get changed(): ISignal<this, DispatcherAddress | undefined> {
    return this.changedSignal;
  }

  /** The address to use now, with the `dispatcherUrl` setting applied; undefined until a kernel answers. */
  get current(): DispatcherAddress | undefined {
    if (!this.address) return undefined;
    return this.overrideUrl ? { ...this.address, url: this.overrideUrl } : this.address;
  }

  /** Setting `dispatcherUrl`: the same dispatcher reached by another address (a proxy, a tunnel). */
  setOverrideUrl(url: string): void {
    this.overrideUrl = url.replace(/\/+$/, "");
    if (this.address) this.changedSignal.emit(this.current);
  }

  /** A kernel told us where the dispatcher is; `request` reaches that kernel for cancelling. */
  connect(address: DispatcherAddress, request: KernelRequest): void {
    const same = this.address?.url === address.url && this.address.readToken === address.readToken;
    this.address = address;
    this.request = request;
    if (!same) this.changedSignal.emit(this.current);
  }

  /** The kernel behind `request` went away; keep the address (the dispatcher outlives kernels). */
  forgetKernel(request: KernelRequest): void {
    if (this.request === request) this.request = undefined;
  }

  private refreshing: Promise<void> | undefined;

  /**
   * Asks the kernel for the dispatcher's address again (the websocket keeps failing: the dispatcher
   * may have restarted with a new token, or elsewhere). One request at a time; `changed` fires when
   * the answer differs.
   */
  refresh(): Promise<void> {
    const request = this.request;
    if (!request) return Promise.resolve();
    this.refreshing ??= request({ type: "connection" })
      .then((answer) => {
        if (answer.type === "connection") this.connect({ url: answer.url, readToken: answer.readToken }, request);
      })
      .catch((error: unknown) => console.warn("Valence: the kernel could not say where the dispatcher is", error))
      .finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  /** A GET on the dispatcher's HTTP API with the read credential. */
  async get<T>(path: string): Promise<T> {
    const address = this.current;
    if (!address) throw new DispatcherUnavailable("no Valence kernel has told this page where the dispatcher is");
    let response: Response;
    try {
      response = await fetch(`${address.url}${path}${path.includes("?") ? "&" : "?"}token=${address.readToken}`);
    } catch (error) {
      throw new DispatcherUnavailable(`the dispatcher at ${address.url} does not answer (${String(error)})`);
    }
    const body = (await response.json().catch(() => ({}))) as T & { error?: string };
    if (!response.ok) throw new Error(body.error ?? `the dispatcher answered ${response.status}`);
    return body;
  }

  /** The websocket URL for live events. */
  eventsUrl(): string | undefined {
    const address = this.current;
    return address && `${address.url.replace(/^http/, "ws")}/api/v1/events?token=${address.readToken}`;
  }

  /** Cancels a dispatch (or some of its nodes) through the kernel that holds the token. */
  async cancel(dispatchId: string, nodeIds?: number[]): Promise<void> {
    if (!this.request) throw new DispatcherUnavailable("cancelling needs a running Valence kernel");
    const answer = await this.request({ type: "cancel", dispatchId, ...(nodeIds ? { nodeIds } : {}) });
    if (answer.type === "error") throw new Error(answer.message);
    if (answer.type !== "cancelled") throw new Error("the kernel could not cancel");
  }
}
