// One websocket client: validates each message, subscribes it to dispatches (snapshot, then
// ordered updates; or exactly the updates after `afterSeq` when it reconnects), and reports bad
// messages as error replies without dropping the connection.
import type { ClientMessage, ServerMessage } from "@valence/schema";
import type { WebSocket } from "ws";
import type { Engine } from "./engine";
import { protocolErrors } from "./protocol";

export function attachSession(socket: WebSocket, engine: Engine): void {
  const subscriptions = new Map<string, () => void>();
  const send = (message: ServerMessage): void => {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
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
    if (request.type === "unsubscribe") return;
    try {
      subscriptions.set(request.dispatchId, engine.subscribe(request.dispatchId, send, request.afterSeq));
    } catch (error) {
      send({ type: "error", dispatchId: request.dispatchId, message: (error as Error).message });
    }
  });
  socket.on("close", () => {
    for (const unsubscribe of subscriptions.values()) unsubscribe();
    subscriptions.clear();
  });
}
