// The Valence kernel: answers the Jupyter messaging protocol (5.3) on top of the cell runner. Execute
// requests run one at a time in arrival order; every other request is answered at once, even while a
// cell runs. Output of a cell — including late output from its timers — goes to that cell.
import { randomUUID } from "node:crypto";
import { installDisplayHook, type DisplayOptions } from "../display";
import { Channels, type ChannelName, type ConnectionInfo } from "./channels";
import { CellRunner, type CellError } from "./cells";
import { bundleOf } from "./display";
import { kernelInfo, isComplete, inspectReply } from "./requests";
import { OutputRouter } from "./output";
import { replyTo, type JupyterMessage } from "./wire";
import { CommTargets } from "./comms";
import { LiveDisplays } from "./live-display";
import { kernelLog } from "./log";
import { Result } from "../client/result";

interface ExecuteRequest {
  code: string;
  silent?: boolean;
  store_history?: boolean;
  stop_on_error?: boolean;
  user_expressions?: Record<string, string>;
}

interface HistoryEntry {
  readonly line: number;
  readonly input: string;
  output: string | null;
}

/** This kernel's session number in history replies (history is kept for the kernel's lifetime). */
const SESSION = 1;

export class Kernel {
  private readonly channels: Channels;
  private readonly runner: CellRunner;
  private readonly output: OutputRouter;
  private readonly comms: CommTargets;
  private readonly live: LiveDisplays;
  private executionCount = 0;
  private readonly history: HistoryEntry[] = [];
  private queue: Promise<void> = Promise.resolve();
  /** Requests that arrived before an error are aborted when they asked for stop_on_error. */
  private abortBefore = 0;
  private received = 0;
  private shuttingDown = false;

  constructor(connection: ConnectionInfo, rootDir: string = process.cwd()) {
    this.channels = new Channels(connection);
    this.runner = new CellRunner(rootDir);
    this.output = new OutputRouter((message) => this.channels.publish(message));
    this.comms = new CommTargets((message) => this.channels.publish(message));
    this.live = new LiveDisplays(
      (bundle, displayId) =>
        this.channels.publish(
          replyTo(this.output.current, "update_display_data", {
            data: bundle,
            metadata: {},
            transient: { display_id: displayId },
          }),
        ),
      () => this.comms.attached,
    );
  }

  async start(): Promise<void> {
    await this.channels.bind();
    this.output.capture();
    installDisplayHook({
      display: (value, options) => this.display(value, options),
      clearOutput: async (wait) => {
        await this.output.flush();
        await this.channels.publish(replyTo(this.output.current, "clear_output", { wait }));
      },
    });
    this.channels.listen("shell", (message) => this.receive("shell", message));
    this.channels.listen("control", (message) => this.receive("control", message));
    process.on("SIGINT", () => this.runner.interrupt());
    // A dispatch or timer failing in the background must not take the kernel (and every cell's state) down.
    process.on("uncaughtException", (error) => this.output.background(this.runner.errorOf(error)));
    process.on("unhandledRejection", (reason) => this.output.background(this.runner.errorOf(reason)));
  }

  private receive(channel: ChannelName, message: JupyterMessage): void {
    const type = message.header.msg_type;
    if (type === "execute_request") {
      const order = ++this.received;
      this.queue = this.queue.then(() => this.busy(message, () => this.execute(channel, message, order)));
      return;
    }
    void this.busy(message, () => this.answer(channel, message)).catch((error: unknown) =>
      kernelLog(`${type} failed: ${String(error)}`),
    );
  }

  private async busy(message: JupyterMessage, work: () => Promise<void>): Promise<void> {
    await this.channels.publish(replyTo(message, "status", { execution_state: "busy" }));
    try {
      await work();
    } finally {
      await this.channels.publish(replyTo(message, "status", { execution_state: "idle" }));
    }
  }

  private async answer(channel: ChannelName, message: JupyterMessage): Promise<void> {
    const content = message.content;
    const reply = (type: string, body: unknown): Promise<void> =>
      this.channels.reply(channel, replyTo(message, type, body, { identities: message.identities }));
    switch (message.header.msg_type) {
      case "kernel_info_request":
        return reply("kernel_info_reply", kernelInfo(this.runner.typescriptVersion));
      case "is_complete_request":
        return reply("is_complete_reply", isComplete(String(content.code ?? "")));
      case "complete_request": {
        const code = String(content.code ?? "");
        const info = this.runner.complete(code, Number(content.cursor_pos ?? code.length));
        return reply("complete_reply", {
          status: "ok",
          matches: info.candidates,
          cursor_start: info.start,
          cursor_end: info.end,
          metadata: {},
        });
      }
      case "inspect_request": {
        const code = String(content.code ?? "");
        const info = this.runner.inspect(code, Number(content.cursor_pos ?? code.length));
        return reply("inspect_reply", inspectReply(info));
      }
      case "history_request":
        return reply("history_reply", { status: "ok", history: this.historyFor(content) });
      case "comm_info_request":
        return reply("comm_info_reply", { status: "ok", comms: this.comms.info(content.target_name) });
      case "comm_open":
      case "comm_msg":
      case "comm_close":
        return this.comms.receive(message);
      case "interrupt_request":
        this.runner.interrupt();
        return reply("interrupt_reply", { status: "ok" });
      case "shutdown_request":
        await reply("shutdown_reply", { status: "ok", restart: Boolean(content.restart) });
        return this.shutdown();
      default:
        kernelLog(`unsupported request ${message.header.msg_type}`);
    }
  }

  private async execute(channel: ChannelName, message: JupyterMessage, order: number): Promise<void> {
    const request = message.content as unknown as ExecuteRequest;
    const reply = (body: unknown): Promise<void> =>
      this.channels.reply(channel, replyTo(message, "execute_reply", body, { identities: message.identities }));
    if (order <= this.abortBefore) {
      return reply({ status: "aborted", execution_count: this.executionCount });
    }
    const silent = Boolean(request.silent);
    const store = !silent && request.store_history !== false;
    if (store) this.executionCount++;
    const count = this.executionCount;
    const code = String(request.code ?? "");
    if (!silent) await this.channels.publish(replyTo(message, "execute_input", { code, execution_count: count }));
    const entry: HistoryEntry = { line: count, input: code, output: null };
    if (store) this.history.push(entry);
    this.output.attach(message, silent);
    const outcome = await this.runner.run(code, `cell [${count}]`);
    let error: CellError | undefined = outcome.status === "error" ? outcome.error : undefined;
    if (outcome.status === "ok" && outcome.value && !silent) {
      const value = outcome.value.current;
      try {
        if (value instanceof Result && value.isFinal) await this.live.settle(value.dispatchId);
        // A live value (a running dispatch) needs a display_id to be updated later: execute_result has none.
        if (this.live.wants(value)) await this.display(value, {});
        else {
          const data = await bundleOf(value);
          entry.output = String(data["text/plain"]);
          await this.output.flush();
          await this.channels.publish(
            replyTo(message, "execute_result", { execution_count: count, data, metadata: {} }),
          );
        }
      } catch (displayError) {
        error = this.runner.errorOf(displayError);
      }
    }
    await this.output.flush();
    if (error) {
      if (!silent) await this.channels.publish(replyTo(message, "error", error));
      if (request.stop_on_error !== false) this.abortBefore = this.received;
      return reply({ status: "error", execution_count: count, ...error });
    }
    return reply({ status: "ok", execution_count: count, user_expressions: {}, payload: [] });
  }

  /** `ct.display(value, options)` from a cell: display_data (or update_display_data) to that cell. */
  private async display(value: unknown, options: DisplayOptions): Promise<void> {
    const parent = this.output.current;
    const data = await bundleOf(value, options.raw);
    const displayId = options.displayId ?? (this.live.wants(value) ? randomUUID() : undefined);
    const transient = displayId ? { display_id: displayId } : {};
    if (displayId) this.live.follow(value, displayId);
    await this.output.flush();
    const type = options.update ? "update_display_data" : "display_data";
    await this.channels.publish(replyTo(parent, type, { data, metadata: {}, transient }));
  }

  private historyFor(content: Record<string, unknown>): unknown[] {
    let found: HistoryEntry[];
    const n = content.n === undefined || content.n === null ? undefined : Number(content.n);
    if (content.hist_access_type === "search") {
      const glob = String(content.pattern ?? "*")
        .replace(/[.+^${}()|[\]\\]/g, "\\$&")
        .replace(/\*/g, ".*")
        .replace(/\?/g, ".");
      const pattern = new RegExp(`^${glob}$`, "s");
      found = this.history.filter((entry) => pattern.test(entry.input));
      if (content.unique) {
        const seen = new Set<string>();
        found = found
          .reverse()
          .filter((entry) => !seen.has(entry.input) && seen.add(entry.input))
          .reverse();
      }
      if (n !== undefined) found = found.slice(-n);
    } else if (content.hist_access_type === "range") {
      const start = Number(content.start ?? 0);
      const stop = content.stop === undefined || content.stop === null ? Infinity : Number(content.stop);
      found = this.history.filter((entry) => entry.line >= start && entry.line < stop);
    } else found = this.history.slice(-Math.max(0, n ?? 10));
    return found.map((entry) => [SESSION, entry.line, content.output ? [entry.input, entry.output] : entry.input]);
  }

  private async shutdown(): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    this.live.close();
    this.runner.close();
    await this.channels.close();
    process.exit(0);
  }
}
