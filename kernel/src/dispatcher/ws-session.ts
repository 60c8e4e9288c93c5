// One websocket client: validates each message, subscribes it to dispatches (snapshot, then
// ordered updates; or exactly the updates after `afterSeq` when it reconnects), and reports bad
// messages as error replies without dropping the connection. Updates ready in the same turn of the
// event loop go out as one `batch` frame: a burst of a thousand node updates is one message to
// parse, not a thousand, so a browser keeps drawing frames.
import type { ClientMessage, ServerMessage, UpdateMessage } from "@valence/schema";
import type { WebSocket } from "ws";
import type { Engine } from "./engine";
import { protocolErrors } from "./protocol";

/** Dispatches one connection may follow at once: each holds a subscriber until it ends. */
export const MAX_SUBSCRIPTIONS = 1000;

export function attachSession(socket: WebSocket, engine: Engine): void {
  const subscriptions = new Map<string, () => void>();
  const pending = new Map<string, UpdateMessage[]>();
  let flushScheduled = false;

  const write = (message: ServerMessage): void => {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
  };
  const flush = (): void => {
    flushScheduled = false;
    for (const [dispatchId, updates] of pending) {
      const [first, ...rest] = updates;
      if (first) write(rest.length ? { type: "batch", dispatchId, updates: [first, ...rest] } : first);
    }
    pending.clear();
  };
  const send = (message: ServerMessage): void => {
    if (message.type !== "update") {
      flush(); // keep order: what was queued goes before a snapshot or an error
      return write(message);
    }
    const queued = pending.get(message.dispatchId);
    if (queued) queued.push(message);
    else pending.set(message.dispatchId, [message]);
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flush);
    }
  };

  socket.on("message", (data, isBinary) => {
    let message: unknown;
    try {
      if (isBinary) throw new Error("binary frames are not part of the protocol");
      message = JSON.parse(data.toString());
    } catch (error) {
      return send({ type: "error", message: `message is not valid JSON: ${(error as Error).message}` });
    }
    const errors = protocolErrors("clientMessage", message);
    if (errors.length) return send({ type: "error", message: `invalid message: ${errors.join("; ")}` });
    const request = message as ClientMessage;
    subscriptions.get(request.dispatchId)?.();
    subscriptions.delete(request.dispatchId);
    pending.delete(request.dispatchId);
    if (request.type === "unsubscribe") return;
    if (subscriptions.size >= MAX_SUBSCRIPTIONS) {
      return send({
        type: "error",
        dispatchId: request.dispatchId,
        message: `a connection follows at most ${MAX_SUBSCRIPTIONS} dispatches at once: unsubscribe from one first`,
      });
    }
    try {
      subscriptions.set(request.dispatchId, engine.subscribe(request.dispatchId, send, request.afterSeq));
    } catch (error) {
      send({ type: "error", dispatchId: request.dispatchId, message: (error as Error).message });
    }
  });
  socket.on("close", () => {
    for (const unsubscribe of subscriptions.values()) unsubscribe();
    subscriptions.clear();
    pending.clear();
  });
}
