// Jupyter comms the kernel serves. One target, "valence.dispatcher": the JupyterLab extension opens
// it to learn where the dispatcher is and gets its read credential (watch, never change), so the
// notebook file holds no secret and the browser never holds the token. Cancelling goes back through
// this comm: the kernel, which has the token, does it.
import { cancel } from "../client/api";
import { call, connect } from "../client/connection";
import { readTokenFor } from "../shared/runtime-file";
import { dagSchema, protocolSchema, type KernelCommReply, type KernelCommRequest } from "@valence/schema";
import { compiledCheck } from "../workflow/schema-check";
import { replyTo, type JupyterMessage } from "./wire";

export const DISPATCHER_TARGET = "valence.dispatcher";

export class CommTargets {
  private readonly open = new Map<string, string>();

  constructor(private readonly publish: (message: JupyterMessage<unknown>) => Promise<void>) {}

  /** Whether a JupyterLab extension is attached: it follows dispatches live by itself. */
  get attached(): boolean {
    for (const target of this.open.values()) if (target === DISPATCHER_TARGET) return true;
    return false;
  }

  info(targetName: unknown): Record<string, { target_name: string }> {
    const comms: Record<string, { target_name: string }> = {};
    for (const [id, target] of this.open)
      if (targetName === undefined || targetName === target) comms[id] = { target_name: target };
    return comms;
  }

  async receive(message: JupyterMessage): Promise<void> {
    const commId = String(message.content.comm_id ?? "");
    switch (message.header.msg_type) {
      case "comm_open": {
        const target = String(message.content.target_name ?? "");
        if (target !== DISPATCHER_TARGET) {
          // The spec's answer to an unknown target: close it at once.
          await this.publish(replyTo(message, "comm_close", { comm_id: commId, data: {} }));
          return;
        }
        this.open.set(commId, target);
        return this.sendConnection(message, commId);
      }
      case "comm_msg": {
        if (!this.open.has(commId)) return;
        const data: unknown = message.content.data ?? {};
        const request = compiledCheck<KernelCommRequest>(protocolSchema, "kernelCommRequest", [dagSchema]);
        if (request(data)) {
          return data.type === "cancel"
            ? this.cancel(message, commId, data)
            : this.sendConnection(message, commId, data.requestId);
        }
        return this.reply(message, commId, {
          type: "error",
          message:
            'a request is {type: "connection"} or {type: "cancel", dispatchId, nodeIds?}, with an integer requestId',
          ...requestIdOf(data),
        });
      }
      case "comm_close":
        this.open.delete(commId);
        return;
    }
  }

  /**
   * The dispatcher's address and read credential. The page asks again when its websocket keeps
   * failing: a dispatcher that died is found again (or started, resuming its dispatches), so the
   * answer carries the new address and the credential of the new token.
   */
  private async sendConnection(parent: JupyterMessage, commId: string, requestId?: number): Promise<void> {
    const asked = requestId !== undefined ? { requestId } : {};
    let data: KernelCommReply;
    try {
      await call("GET", "/api/v1/status");
      const { url, token } = await connect();
      data = { type: "connection", url, readToken: readTokenFor(token), ...asked };
    } catch (error) {
      data = { type: "error", message: `the dispatcher cannot be reached: ${(error as Error).message}`, ...asked };
    }
    await this.reply(parent, commId, data);
  }

  /** `{type: "cancel", dispatchId, nodeIds?, requestId?}` → `{type: "cancelled" | "error", requestId}`. */
  private async cancel(
    parent: JupyterMessage,
    commId: string,
    request: Extract<KernelCommRequest, { type: "cancel" }>,
  ): Promise<void> {
    const { dispatchId, nodeIds, requestId } = request;
    const asked = requestId !== undefined ? { requestId } : {};
    let data: KernelCommReply;
    try {
      await cancel(dispatchId, nodeIds);
      data = { type: "cancelled", dispatchId, ...asked };
    } catch (error) {
      data = { type: "error", message: `cannot cancel ${dispatchId}: ${(error as Error).message}`, ...asked };
    }
    await this.reply(parent, commId, data);
  }

  private reply(parent: JupyterMessage, commId: string, data: KernelCommReply): Promise<void> {
    return this.publish(replyTo(parent, "comm_msg", { comm_id: commId, data }));
  }
}

/** The requestId of a request that failed its check, when it has a usable one. */
function requestIdOf(data: unknown): { requestId?: number } {
  const id = (data as { requestId?: unknown } | null)?.requestId;
  return Number.isInteger(id) ? { requestId: id as number } : {};
}
