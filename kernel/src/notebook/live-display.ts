// Keeps a dispatch's output in the notebook current. One live route at a time: where the JupyterLab
// extension is attached (it opened the "valence.dispatcher" comm) it follows the dispatch over the
// websocket itself and the kernel only sends the final statuses; elsewhere (VS Code, nbclient) the
// kernel also redraws the cell's DAG while it runs (update_display_data, at most twice a second).
// Either way the final redraw goes into the notebook, so a saved file shows the outcome.
import type { ServerMessage } from "@valence/schema";
import { connect } from "../client/connection";
import { Dispatch } from "../client/dispatch-handle";
import { Result, isFinal } from "../client/result";
import { watchDispatch, type Watch } from "../client/watch";
import { bundleOf } from "./display";

const REDRAW_EVERY_MS = 500;

/** Sends an update for `displayId`; the kernel parents it to the cell running now, as IPython does. */
type Update = (bundle: Record<string, unknown>, displayId: string) => Promise<void>;

export class LiveDisplays {
  private readonly watches = new Set<Watch>();
  /** Per dispatch id: the final redraw of its displays, once the dispatch is final. */
  private readonly finals = new Map<string, Array<Promise<void>>>();

  constructor(
    private readonly update: Update,
    /** Whether the extension is attached (it draws live updates itself). */
    private readonly extensionAttached: () => boolean = () => false,
  ) {}

  /** A value whose display should follow a running dispatch. */
  wants(value: unknown): value is Dispatch | Result {
    return value instanceof Dispatch || (value instanceof Result && !value.isFinal);
  }

  follow(value: unknown, displayId: string): void {
    if (!this.wants(value)) return;
    const handle = value instanceof Dispatch ? value : new Dispatch(value.dispatchId, value.latticeName);
    const final = this.watch(handle, displayId);
    this.finals.set(handle.id, [...(this.finals.get(handle.id) ?? []), final]);
    void final.finally(() => this.finals.delete(handle.id));
  }

  /**
   * Waits (briefly) for the final redraw of a dispatch's displays: a cell showing the dispatch's final
   * Result then ends after them, so a notebook run headlessly saves the final state too.
   */
  async settle(dispatchId: string, timeoutMs = 2000): Promise<void> {
    const pending = this.finals.get(dispatchId);
    if (!pending) return;
    await Promise.race([Promise.all(pending), new Promise((resolve) => setTimeout(resolve, timeoutMs))]);
  }

  private async watch(handle: Dispatch, displayId: string): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    let drawing = Promise.resolve();
    const redraw = (): void => {
      timer = undefined;
      drawing = drawing.then(async () => this.update(await bundleOf(handle), displayId)).catch(() => {});
    };
    const schedule = (message: ServerMessage): void => {
      if (message.type === "update" && message.dispatch && isFinal(message.dispatch.status)) return;
      if (this.extensionAttached()) return;
      timer ??= setTimeout(redraw, REDRAW_EVERY_MS);
    };
    let watch: Watch | undefined;
    try {
      watch = watchDispatch(await connect(), handle.id, schedule);
      this.watches.add(watch);
      await watch.done;
    } catch {
      // The dispatcher went away: the last drawing stays, and the extension marks it as stale.
    } finally {
      if (watch) this.watches.delete(watch);
      clearTimeout(timer);
    }
    redraw();
    await drawing;
  }

  close(): void {
    for (const watch of this.watches) watch.close();
    this.watches.clear();
  }
}
