// Following a dispatch live over the dispatcher's websocket: a snapshot, then ordered updates (a
// `batch` frame is unpacked, so callers only see snapshots and updates); on a
// dropped connection it reconnects with backoff and resumes from the last sequence number it saw,
// so no update is missed or seen twice. Ends when the dispatch reaches a final status.
import WebSocket from "ws";
import type { ServerMessage } from "@valence/schema";
import type { Connection } from "./connection";
import { isFinal } from "./result";

export interface Watch {
  /** Settles when the dispatch is final (resolves) or watching is given up (rejects). */
  readonly done: Promise<void>;
  close(): void;
}

export interface WatchOptions {
  /** Give up after this many consecutive failed connection attempts. Default 8 (~25 s of backoff). */
  readonly maxRetries?: number;
}

export function watchDispatch(
  connection: Connection,
  dispatchId: string,
  onMessage: (message: ServerMessage) => void,
  options: WatchOptions = {},
): Watch {
  let lastSeq: number | undefined;
  let socket: WebSocket | undefined;
  let closed = false;
  let failures = 0;
  let settle!: { resolve: () => void; reject: (error: Error) => void };
  const done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  const finish = (error?: Error): void => {
    if (closed) return;
    closed = true;
    socket?.close();
    if (error) settle.reject(error);
    else settle.resolve();
  };

  const open = (): void => {
    const url = `${connection.url.replace(/^http/, "ws")}/api/v1/events`;
    socket = new WebSocket(url, { headers: { authorization: `Bearer ${connection.token}` } });
    socket.on("open", () => {
      failures = 0;
      socket!.send(
        JSON.stringify({ type: "subscribe", dispatchId, ...(lastSeq !== undefined ? { afterSeq: lastSeq } : {}) }),
      );
    });
    const receive = (message: ServerMessage): void => {
      if (closed) return;
      if (message.type === "error") return finish(new Error(message.message));
      // A batch is its updates, one after the other.
      if (message.type === "batch") return message.updates.forEach(receive);
      lastSeq = message.seq;
      onMessage(message);
      const status = message.type === "snapshot" ? message.dispatch.status : message.dispatch?.status;
      if (status && isFinal(status)) finish();
    };
    socket.on("message", (data) => receive(JSON.parse(data.toString()) as ServerMessage));
    socket.on("error", () => undefined); // "close" follows and decides
    socket.on("close", () => {
      if (closed) return;
      if (++failures > (options.maxRetries ?? 8)) {
        return finish(new Error(`lost the dispatcher at ${connection.url} while watching dispatch ${dispatchId}`));
      }
      setTimeout(open, Math.min(100 * 2 ** failures, 5000));
    });
  };
  open();
  return { done, close: () => finish() };
}
