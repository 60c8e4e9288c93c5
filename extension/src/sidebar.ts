// The "Dispatches" sidebar: recent dispatches from the dispatcher (status, lattice, start, duration),
// refreshed every two seconds while it is visible; a click opens that dispatch's DAG in the main area.
import { Widget } from "@lumino/widgets";

import { statusClass } from "./draw";
import { formatDuration } from "./labels";
import { DispatcherUnavailable, type DispatcherLink } from "./link";
import { isFinal } from "./live";
import type { DispatchSummary } from "./schema/protocol.generated";

const REFRESH_MS = 2000;

function cell(tag: "span" | "time", className: string, text: string): HTMLElement {
  const element = document.createElement(tag);
  element.className = className;
  element.textContent = text;
  return element;
}

export class DispatchesSidebar extends Widget {
  private readonly list = document.createElement("ul");
  private readonly note = document.createElement("p");
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly link: DispatcherLink,
    private readonly open: (dispatchId: string) => void,
  ) {
    super();
    this.id = "valence-dispatches";
    this.addClass("valence-dispatches");
    this.title.caption = "Valence dispatches";
    const heading = document.createElement("h3");
    heading.textContent = "Dispatches";
    this.list.className = "valence-dispatch-list";
    this.note.className = "valence-dispatches-note";
    this.node.append(heading, this.note, this.list);
    link.changed.connect(() => void this.refresh());
  }

  async refresh(): Promise<void> {
    let dispatches: DispatchSummary[];
    try {
      ({ dispatches } = await this.link.get<{ dispatches: DispatchSummary[] }>("/api/v1/dispatches?limit=50"));
    } catch (error) {
      this.note.textContent =
        error instanceof DispatcherUnavailable
          ? `${error.message}.`
          : `Cannot list dispatches: ${(error as Error).message}`;
      return;
    }
    this.note.textContent = dispatches.length ? "" : "No dispatches yet: dispatch a lattice from a notebook.";
    const now = Date.now();
    this.list.replaceChildren(
      ...dispatches.map((dispatch) => {
        const item = document.createElement("li");
        item.className = "valence-dispatch-item";
        item.dataset.dispatchId = dispatch.id;
        item.tabIndex = 0;
        item.title = `${dispatch.latticeName} · ${dispatch.id}${dispatch.error ? `\n${dispatch.error.message}` : ""}`;
        const start = dispatch.startedAt ?? dispatch.createdAt;
        const took = (dispatch.endedAt ?? (isFinal(dispatch.status) ? start : now)) - start;
        item.append(
          cell("span", `valence-dag-status ${statusClass(dispatch.status)}`, dispatch.status),
          cell("span", "valence-dispatch-name", dispatch.latticeName),
          cell("time", "valence-dispatch-start", new Date(start).toLocaleTimeString()),
          cell("span", "valence-dispatch-duration", formatDuration(took)),
        );
        const choose = (): void => this.open(dispatch.id);
        item.addEventListener("click", choose);
        item.addEventListener("keydown", (event) => event.key === "Enter" && choose());
        return item;
      }),
    );
  }

  protected override onAfterShow(): void {
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), REFRESH_MS);
  }

  protected override onAfterHide(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  override dispose(): void {
    clearInterval(this.timer);
    super.dispose();
  }
}
