// Jupyter comms the kernel serves. One target, "valence.dispatcher": the JupyterLab extension opens
// it to learn where the dispatcher is and how to authenticate, so the notebook file never holds a
// secret — the credential lives only in the browser's memory while the kernel runs.
import { connect } from "../dispatcher/client/connection";
import { replyTo, type JupyterMessage } from "./wire";

export const DISPATCHER_TARGET = "valence.dispatcher";

export class CommTargets {
  private readonly open = new Map<string, string>();

  constructor(private readonly publish: (message: JupyterMessage<unknown>) => Promise<void>) {}

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
      case "comm_msg":
        if (this.open.has(commId)) return this.sendConnection(message, commId);
        return;
      case "comm_close":
        this.open.delete(commId);
        return;
    }
  }

  private async sendConnection(parent: JupyterMessage, commId: string): Promise<void> {
    let data: Record<string, unknown>;
    try {
      const { url, token } = await connect();
      data = { type: "connection", url, token };
    } catch (error) {
      data = { type: "error", message: `the dispatcher cannot be reached: ${(error as Error).message}` };
    }
    await this.publish(replyTo(parent, "comm_msg", { comm_id: commId, data }));
  }
}
