// Layout on or off the main thread: small graphs are placed at once (a worker round trip would cost
// more than dagre), large ones in a shared Web Worker. Where a worker cannot start (a strict content
// security policy), large graphs are placed on the main thread as before.
import { layoutDag, type DagLayout, type Direction } from "./layout";
import type { ShapedGraph } from "./shape";

/** Drawn nodes from which the layout moves to the worker. */
export const WORKER_THRESHOLD = 300;

let worker: Worker | undefined | null;
let nextRequest = 1;
const waiting = new Map<number, { resolve: (layout: DagLayout) => void; reject: (error: Error) => void }>();

function layoutWorker(): Worker | null {
  if (worker !== undefined) return worker;
  try {
    worker = new Worker(new URL("./layout-worker.js", import.meta.url), { name: "valence-layout" });
    worker.onmessage = ({ data }: MessageEvent<{ id: number; layout?: DagLayout; error?: string }>) => {
      const request = waiting.get(data.id);
      waiting.delete(data.id);
      if (data.layout) request?.resolve(data.layout);
      else request?.reject(new Error(data.error ?? "the layout worker failed"));
    };
    worker.onerror = () => {
      for (const request of waiting.values()) request.reject(new Error("the layout worker failed to start"));
      waiting.clear();
      worker = null;
    };
  } catch {
    worker = null;
  }
  return worker;
}

/** Where a layout was computed: the page's main thread or the worker. */
export type LayoutPlace = "main" | "worker";

/** The layout of `shaped`; in the worker when the graph is large and a worker can run. */
export async function layoutGraph(
  shaped: ShapedGraph,
  direction: Direction,
): Promise<{ layout: DagLayout; place: LayoutPlace }> {
  const target = shaped.nodes.length >= WORKER_THRESHOLD ? layoutWorker() : null;
  if (!target) return { layout: layoutDag(shaped, direction), place: "main" };
  const id = nextRequest++;
  try {
    const layout = await new Promise<DagLayout>((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      target.postMessage({ id, shaped, direction });
    });
    return { layout, place: "worker" };
  } catch {
    return { layout: layoutDag(shaped, direction), place: "main" };
  }
}
