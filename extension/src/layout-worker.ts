// Runs in a Web Worker: lays out a large graph with dagre off the page's main thread, so the
// notebook stays responsive while a thousand-node DAG is placed.
import { layoutDag, type Direction } from "./layout";
import type { ShapedGraph } from "./shape";

interface LayoutRequest {
  id: number;
  shaped: ShapedGraph;
  direction: Direction;
}

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<LayoutRequest>) => void) | null;
  postMessage(message: unknown): void;
};

scope.onmessage = ({ data }) => {
  try {
    scope.postMessage({ id: data.id, layout: layoutDag(data.shaped, data.direction) });
  } catch (error) {
    scope.postMessage({ id: data.id, error: String((error as Error).message ?? error) });
  }
};
