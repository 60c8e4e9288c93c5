// The page side of the extension bench (bench/extension.ts bundles it with esbuild and drives it in
// Chromium): the extension's real DagView, DispatcherLink and the shape, layout, drawing and live
// code behind them, timed where a user would feel them. Nothing here is JupyterLab; the page only
// defines the --jp-* variables the extension's CSS reads.
import { layoutDag } from "../../extension/src/layout";
import { DispatcherLink, type DispatcherAddress } from "../../extension/src/link";
import type { DagDocument } from "../../extension/src/schema/dag.generated";
import { shapeGraph } from "../../extension/src/shape";
import { DagView, type ViewSettings } from "../../extension/src/view";
import type { BareSample, DrawSample, LiveSample } from "./samples";

/** Nothing folds (collapseThreshold 0): every node of the document is really drawn. */
const SETTINGS: ViewSettings = { direction: "LR", hideHelpers: false, collapseThreshold: 0 };

// When the first update arrives, seen before live.ts's own handler: a listener added in the
// constructor runs ahead of the `onmessage` the extension sets afterwards.
let firstUpdateAt: number | undefined;
class TimedWebSocket extends WebSocket {
  constructor(url: string | URL, protocols?: string | string[]) {
    super(url, protocols);
    this.addEventListener("message", (event: MessageEvent) => {
      if (firstUpdateAt === undefined && /^\{"type":"(update|batch)"/.test(String(event.data))) {
        firstUpdateAt = performance.now();
      }
    });
  }
}
window.WebSocket = TimedWebSocket;

const host = document.getElementById("host")!;

/** After the next frame: a task queued from a rAF callback runs once that frame is painted. */
function afterPaint(): Promise<void> {
  return new Promise((resolve) =>
    requestAnimationFrame(() => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => resolve();
      channel.port2.postMessage(null);
    }),
  );
}

/** A clean slate between samples: the last drawing gone, garbage collected (--expose-gc), painted. */
async function settle(): Promise<void> {
  host.replaceChildren();
  (globalThis as { gc?: () => void }).gc?.();
  await afterPaint();
  await afterPaint();
}

async function draw(document: DagDocument): Promise<DrawSample> {
  await settle();
  // A link without an address: the view starts its live watch but waits ("not live yet").
  const view = new DagView({ link: new DispatcherLink(), settings: () => SETTINGS });
  host.append(view.node);
  const start = performance.now();
  view.show(document);
  // Laid out in a worker in JupyterLab; this bundle has no worker chunk, so layout runs here, as a
  // page that cannot start workers would do it.
  await view.rendered;
  view.node.getBoundingClientRect();
  const shown = performance.now();
  await afterPaint();
  const painted = performance.now();
  const drawnNodes = view.node.querySelectorAll("g.valence-node").length;
  view.dispose();
  const layoutStart = performance.now();
  layoutDag(shapeGraph(document, { ...SETTINGS, expanded: new Set() }), SETTINGS.direction);
  const layoutMs = performance.now() - layoutStart;
  return { shownMs: shown - start, paintedMs: painted - start, layoutMs, drawnNodes };
}

/** Animation frames from now until stop(): the longest gap between two (from now to the first too). */
function watchFrames(): { stop(): { maxGapMs: number; frames: number } } {
  const times = [performance.now()];
  let watching = true;
  const tick = (time: number) => {
    times.push(time);
    if (watching) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  return {
    stop() {
      watching = false;
      const gaps = times.slice(1).map((time, i) => time - times[i]!);
      return { maxGapMs: Math.max(0, ...gaps), frames: gaps.length };
    },
  };
}

async function live(document: DagDocument, address: DispatcherAddress, lastId: number): Promise<LiveSample> {
  await settle();
  const link = new DispatcherLink();
  const view = new DagView({ link, settings: () => SETTINGS });
  host.append(view.node);
  // Drawn and painted first, so the figures are the live path's alone, not the first drawing's.
  view.show(document);
  await view.rendered;
  await afterPaint();
  await afterPaint();
  const last = view.node.querySelector(`g.valence-node[data-node-id="${lastId}"]`);
  if (!last) throw new Error(`node ${lastId} is not drawn`);

  // Long animation frames (Chromium's LoAF: frames whose tasks, style, layout and paint took over
  // 50 ms): whether the page's own work made a stall, or the frames were late for other reasons.
  const observedFrom = performance.now();
  let longestFrameMs = 0;
  const note = (entries: PerformanceEntryList) => {
    for (const entry of entries)
      if (entry.startTime + entry.duration > observedFrom) longestFrameMs = Math.max(longestFrameMs, entry.duration);
  };
  const longFrames = new PerformanceObserver((list) => note(list.getEntries()));
  longFrames.observe({ type: "long-animation-frame" });
  const completed = new Promise<number>((resolve, reject) => {
    const timeout = setTimeout(() => {
      const done = view.node.querySelectorAll("g.valence-status-completed").length;
      reject(new Error(`node ${lastId} not COMPLETED after 30 s (${done} nodes are)`));
    }, 30_000);
    const observer = new MutationObserver(() => {
      if (!last.classList.contains("valence-status-completed")) return;
      const at = performance.now();
      observer.disconnect();
      clearTimeout(timeout);
      resolve(at);
    });
    observer.observe(last, { attributes: true, attributeFilter: ["class"] });
  });
  firstUpdateAt = undefined;
  const frames = watchFrames();
  link.connect(address, async () => ({}));
  try {
    const completedAt = await completed;
    // The frame that shows the last update belongs to the measured span (its gap may be the stall).
    await afterPaint();
    const { maxGapMs, frames: count } = frames.stop();
    note(longFrames.takeRecords());
    return {
      updatesMs: completedAt - firstUpdateAt!,
      maxFrameGapMs: maxGapMs,
      frames: count,
      longestFrameMs,
      completedNodes: view.node.querySelectorAll("g.valence-status-completed").length,
    };
  } finally {
    frames.stop();
    longFrames.disconnect();
    view.dispose();
  }
}

/**
 * The same subscription on a bare WebSocket that only parses each frame: what receiving the burst
 * costs the page with no extension code at all, to tell the view's share of a stall from the transport's.
 */
/** `messages`: the snapshot and updates expected, however they are framed. */
async function bare(address: DispatcherAddress, dispatchId: string, messages: number): Promise<BareSample> {
  await settle();
  firstUpdateAt = undefined;
  const frames = watchFrames();
  const lastAt = await new Promise<number>((resolve, reject) => {
    const socket = new WebSocket(`${address.url.replace(/^http/, "ws")}/api/v1/events?token=${address.readToken}`);
    let received = 0;
    socket.onopen = () => socket.send(JSON.stringify({ type: "subscribe", dispatchId }));
    socket.onmessage = (event: MessageEvent) => {
      const message = JSON.parse(String(event.data)) as { type: string; updates?: unknown[] };
      received += message.type === "batch" ? message.updates!.length : 1;
      if (received < messages) return;
      resolve(performance.now());
      socket.close();
    };
    socket.onclose = () => reject(new Error(`the socket closed after ${received} of ${messages} messages`));
  });
  await afterPaint();
  const { maxGapMs, frames: count } = frames.stop();
  return { receiveMs: lastAt - firstUpdateAt!, maxFrameGapMs: maxGapMs, frames: count };
}

// bench/extension.ts calls these with page.evaluate("valenceBench.draw(…)").
Object.assign(window, { valenceBench: { draw, live, bare } });
