// Test support: a real Valence kernel process (as Jupyter starts it, from a connection file on free
// loopback ports) and a small Jupyter client speaking the wire protocol to it over ZeroMQ.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import * as zmq from "zeromq";
import { Signer, decode, encode, type JupyterMessage } from "#src/notebook/wire.js";
import { temporaryDir } from "./dispatcher.js";
import { freePorts } from "./ports.ts";

const CLI = join(import.meta.dirname, "..", "..", "dist", "cli", "main.js");

/** Starts of a kernel tried when another process took one of its ports between picking and binding. */
const START_TRIES = 3;

export interface Execution {
  readonly reply: Record<string, unknown>;
  /** iopub messages caused by the request, between busy and idle (status and execute_input left out). */
  readonly outputs: JupyterMessage[];
}

export class KernelClient {
  private readonly signer: Signer;
  private readonly shell = new zmq.Dealer();
  private readonly control = new zmq.Dealer();
  private readonly iopub = new zmq.Subscriber();
  private readonly session = randomUUID();
  private readonly replies = new Map<string, (message: JupyterMessage) => void>();
  /** Every iopub message received so far, in order. */
  readonly published: JupyterMessage[] = [];
  private readonly waiters = new Set<() => void>();
  stderr = "";

  private constructor(
    readonly process: ChildProcess,
    key: string,
  ) {
    this.signer = new Signer(key);
  }

  static async start(options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<KernelClient> {
    for (let tries = 1; ; tries++) {
      try {
        return await KernelClient.startOnce(options);
      } catch (error) {
        if (tries >= START_TRIES || !/Address already in use/.test(String(error))) throw error;
      }
    }
  }

  private static async startOnce(options: { cwd?: string; env?: NodeJS.ProcessEnv }): Promise<KernelClient> {
    const dir = temporaryDir("valence-kernel-");
    const key = randomBytes(16).toString("hex");
    const [shell_port, control_port, iopub_port, stdin_port, hb_port] = (await freePorts(5)) as [
      number,
      number,
      number,
      number,
      number,
    ];
    const ports = { shell_port, control_port, iopub_port, stdin_port, hb_port };
    const file = join(dir, "connection.json");
    writeFileSync(
      file,
      JSON.stringify({ ...ports, ip: "127.0.0.1", transport: "tcp", key, signature_scheme: "hmac-sha256" }),
    );
    const child = spawn(process.execPath, [CLI, "kernel", "--connection-file", file], {
      cwd: options.cwd ?? dir,
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "inherit", "pipe"],
    });
    const client = new KernelClient(child, key);
    child.stderr!.on("data", (chunk: Buffer) => (client.stderr += chunk.toString()));
    client.shell.connect(`tcp://127.0.0.1:${ports.shell_port}`);
    client.control.connect(`tcp://127.0.0.1:${ports.control_port}`);
    client.iopub.connect(`tcp://127.0.0.1:${ports.iopub_port}`);
    client.iopub.subscribe();
    void client.pump(client.shell);
    void client.pump(client.control);
    void client.pumpIopub();
    // Like Jupyter: ask for kernel_info until the kernel answers and iopub is connected.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const info = await Promise.race([
        client.request("kernel_info_request", {}),
        new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 500)),
      ]);
      if (info && client.published.length) break;
      const exited = child.exitCode !== null || child.signalCode !== null;
      if (exited || Date.now() > deadline) {
        await client.close();
        throw new Error(`kernel did not start${exited ? " (it exited)" : ""}: ${client.stderr}`);
      }
    }
    return client;
  }

  private async pump(socket: zmq.Dealer): Promise<void> {
    try {
      for await (const frames of socket) {
        const message = decode(frames, this.signer);
        const parentId = (message.parent as { msg_id?: string }).msg_id;
        if (parentId) this.replies.get(parentId)?.(message);
      }
    } catch {
      // closed
    }
  }

  private async pumpIopub(): Promise<void> {
    try {
      for await (const frames of this.iopub) {
        this.published.push(decode(frames, this.signer));
        for (const wake of this.waiters) wake();
      }
    } catch {
      // closed
    }
  }

  private message(type: string, content: Record<string, unknown>): JupyterMessage<unknown> {
    return {
      identities: [],
      header: {
        msg_id: randomUUID(),
        msg_type: type,
        session: this.session,
        username: "test",
        date: new Date().toISOString(),
        version: "5.3",
      },
      parent: {},
      metadata: {},
      content,
      buffers: [],
    };
  }

  /** Sends a request and resolves with its reply message. */
  async request(
    type: string,
    content: Record<string, unknown>,
    channel: "shell" | "control" = "shell",
  ): Promise<JupyterMessage> {
    const message = this.message(type, content);
    const reply = new Promise<JupyterMessage>((resolve) => this.replies.set(message.header.msg_id, resolve));
    await (channel === "shell" ? this.shell : this.control).send(encode(message, this.signer));
    return reply;
  }

  /** Sends a message that has no reply (comm_open, comm_msg); returns its id. */
  async send(type: string, content: Record<string, unknown>): Promise<string> {
    const message = this.message(type, content);
    await this.shell.send(encode(message, this.signer));
    return message.header.msg_id;
  }

  /** Waits until an iopub message matches (checking those already received too). */
  async waitFor(match: (message: JupyterMessage) => boolean, timeoutMs = 20_000): Promise<JupyterMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.published.find(match);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no matching iopub message within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          this.waiters.delete(wake);
          resolve();
        };
        this.waiters.add(wake);
        setTimeout(wake, 100);
      });
    }
  }

  async execute(code: string, content: Record<string, unknown> = {}): Promise<Execution> {
    const message = this.message("execute_request", { code, silent: false, store_history: true, ...content });
    const id = message.header.msg_id;
    const reply = new Promise<JupyterMessage>((resolve) => this.replies.set(id, resolve));
    await this.shell.send(encode(message, this.signer));
    const answer = await reply;
    const isMine = (m: JupyterMessage): boolean => (m.parent as { msg_id?: string }).msg_id === id;
    await this.waitFor((m) => isMine(m) && m.header.msg_type === "status" && m.content.execution_state === "idle");
    const outputs = this.published.filter(
      (m) => isMine(m) && m.header.msg_type !== "status" && m.header.msg_type !== "execute_input",
    );
    return { reply: answer.content, outputs };
  }

  async close(): Promise<void> {
    if (this.process.exitCode === null && this.process.signalCode === null) {
      const exited = new Promise((resolve) => this.process.once("exit", resolve));
      await Promise.race([
        this.request("shutdown_request", { restart: false }, "control"),
        new Promise((resolve) => setTimeout(resolve, 3000)),
      ]);
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3000))]);
      this.process.kill("SIGKILL");
    }
    for (const socket of [this.shell, this.control, this.iopub]) socket.close();
  }
}

/** The text/plain (or named MIME) data of the first output of a type. */
export function outputData(execution: Execution, type: string, mime = "text/plain"): unknown {
  const data = execution.outputs.find((m) => m.header.msg_type === type)?.content.data;
  return (data as Record<string, unknown> | undefined)?.[mime];
}
