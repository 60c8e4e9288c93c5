// stdout and stderr of cells as Jupyter `stream` messages. Writes are batched briefly (a loop
// printing 10,000 lines sends a few messages, not 10,000) and go to the cell that ran last — as in
// IPython, a timer's late output lands in the newest cell. The kernel's own diagnostics keep the
// real stderr (log.ts).
import type { CellError } from "./cells";
import { replyTo, type JupyterMessage } from "./wire";

type StreamName = "stdout" | "stderr";
type Write = typeof process.stdout.write;

const FLUSH_AFTER_MS = 16;
const FLUSH_ABOVE_CHARS = 64 * 1024;

export class OutputRouter {
  current: JupyterMessage | undefined;
  private silent = false;
  private readonly pending: Array<{ name: StreamName; text: string }> = [];
  private pendingChars = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly originals = new Map<StreamName, Write>();

  constructor(private readonly publish: (message: JupyterMessage<unknown>) => Promise<void>) {}

  capture(): void {
    for (const name of ["stdout", "stderr"] as const) {
      const stream = process[name];
      this.originals.set(name, stream.write.bind(stream) as Write);
      stream.write = ((chunk: string | Uint8Array, encoding?: unknown, callback?: unknown): boolean => {
        const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
        this.write(name, text);
        const done = typeof encoding === "function" ? encoding : callback;
        if (typeof done === "function") queueMicrotask(() => (done as () => void)());
        return true;
      }) as Write;
    }
  }

  attach(message: JupyterMessage, silent: boolean): void {
    this.current = message;
    this.silent = silent;
  }

  /** An error nobody awaited (a background promise, a timer): shown in the newest cell's stderr. */
  background(error: CellError): void {
    this.write("stderr", `${error.traceback.join("\n")}\n`);
  }

  write(name: StreamName, text: string): void {
    if (!this.current) {
      this.originals.get(name)?.(text);
      return;
    }
    if (this.silent) return;
    const last = this.pending.at(-1);
    if (last?.name === name) last.text += text;
    else this.pending.push({ name, text });
    this.pendingChars += text.length;
    if (this.pendingChars > FLUSH_ABOVE_CHARS) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), FLUSH_AFTER_MS);
  }

  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending.splice(0);
    this.pendingChars = 0;
    for (const { name, text } of batch) await this.publish(replyTo(this.current, "stream", { name, text }));
  }
}
