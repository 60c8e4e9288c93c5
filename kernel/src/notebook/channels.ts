// The five ZeroMQ sockets of a Jupyter kernel, bound from the connection file the server wrote:
// shell and control (requests), iopub (broadcast), stdin (unused: input() is not supported), and
// the heartbeat echo. Malformed frames are reported and dropped; they never stop a channel.
import { readFileSync } from "node:fs";
import * as zmq from "zeromq";
import { kernelLog } from "./log";
import { Signer, WireError, decode, encode, type JupyterMessage } from "./wire";

export interface ConnectionInfo {
  readonly transport: string;
  readonly ip: string;
  readonly key: string;
  readonly signature_scheme?: string;
  readonly shell_port: number;
  readonly control_port: number;
  readonly iopub_port: number;
  readonly stdin_port: number;
  readonly hb_port: number;
}

export type ChannelName = "shell" | "control";

export function readConnectionFile(path: string): ConnectionInfo {
  let info: Partial<ConnectionInfo>;
  try {
    info = JSON.parse(readFileSync(path, "utf8")) as Partial<ConnectionInfo>;
  } catch (error) {
    throw new Error(`cannot read the connection file ${path}: ${(error as Error).message}`, { cause: error });
  }
  for (const port of ["shell_port", "control_port", "iopub_port", "stdin_port", "hb_port"] as const) {
    if (typeof info[port] !== "number") throw new Error(`connection file ${path} has no ${port}`);
  }
  return { transport: "tcp", ip: "127.0.0.1", key: "", ...info } as ConnectionInfo;
}

export class Channels {
  readonly signer: Signer;
  private readonly shell = new zmq.Router();
  private readonly control = new zmq.Router();
  private readonly iopub = new zmq.Publisher();
  private readonly stdin = new zmq.Router();
  private readonly heartbeat = new zmq.Reply();
  // zeromq's send() refuses a second send while one is pending: chain sends per socket.
  private readonly queues = new Map<zmq.Socket, Promise<void>>();
  private closed = false;

  constructor(private readonly info: ConnectionInfo) {
    this.signer = new Signer(info.key, info.signature_scheme);
  }

  async bind(): Promise<void> {
    const address = (port: number): string =>
      this.info.transport === "ipc" ? `ipc://${this.info.ip}-${port}` : `tcp://${this.info.ip}:${port}`;
    await Promise.all([
      this.shell.bind(address(this.info.shell_port)),
      this.control.bind(address(this.info.control_port)),
      this.iopub.bind(address(this.info.iopub_port)),
      this.stdin.bind(address(this.info.stdin_port)),
      this.heartbeat.bind(address(this.info.hb_port)),
    ]);
    void this.echoHeartbeats();
  }

  /** Calls `handle` for every well-formed message on a request channel, in arrival order. */
  listen(channel: ChannelName, handle: (message: JupyterMessage) => void): void {
    const socket = channel === "shell" ? this.shell : this.control;
    void (async () => {
      try {
        for await (const frames of socket) {
          let message: JupyterMessage;
          try {
            message = decode(frames, this.signer);
          } catch (error) {
            if (!(error instanceof WireError)) throw error;
            kernelLog(`dropped a ${channel} message: ${error.message}`);
            continue;
          }
          handle(message);
        }
      } catch (error) {
        if (!this.closed) kernelLog(`${channel} channel failed: ${String(error)}`);
      }
    })();
  }

  reply(channel: ChannelName, message: JupyterMessage<unknown>): Promise<void> {
    return this.send(channel === "shell" ? this.shell : this.control, message);
  }

  publish(message: JupyterMessage<unknown>): Promise<void> {
    return this.send(this.iopub, message);
  }

  private send(socket: zmq.Socket & { send(frames: Buffer[]): Promise<void> }, message: JupyterMessage<unknown>) {
    const frames = encode(message, this.signer);
    const previous = this.queues.get(socket) ?? Promise.resolve();
    const next = previous
      .then(() => (this.closed ? undefined : socket.send(frames)))
      .catch((error: unknown) => {
        if (!this.closed) kernelLog(`send failed: ${String(error)}`);
      });
    this.queues.set(socket, next);
    return next;
  }

  private async echoHeartbeats(): Promise<void> {
    try {
      for await (const frames of this.heartbeat) await this.heartbeat.send(frames);
    } catch {
      // closed
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.queues.values());
    this.closed = true;
    for (const socket of [this.shell, this.control, this.iopub, this.stdin, this.heartbeat]) socket.close();
  }
}
