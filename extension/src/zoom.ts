// Pan by dragging, zoom with Ctrl/⌘ + wheel (a plain wheel keeps scrolling the notebook); `reset`
// fits the whole graph back into view.
import { select } from "d3-selection";
import { zoom, zoomIdentity, type D3ZoomEvent } from "d3-zoom";

/** Zoom limits relative to the drawn size. */
const SCALE_EXTENT: [number, number] = [0.1, 8];

export interface Zoom {
  reset(): void;
}

export function enableZoom(svg: SVGSVGElement): Zoom {
  const content = select(svg).select<SVGGElement>("g.valence-dag-content");
  const behaviour = zoom<SVGSVGElement, unknown>()
    .scaleExtent(SCALE_EXTENT)
    .filter((event: MouseEvent | WheelEvent) =>
      event.type === "wheel" ? event.ctrlKey || event.metaKey : !event.button,
    )
    .on("zoom", (event: D3ZoomEvent<SVGSVGElement, unknown>) => {
      content.attr("transform", event.transform.toString());
    });
  select(svg).call(behaviour).on("dblclick.zoom", null);
  return { reset: () => select(svg).call(behaviour.transform, zoomIdentity) };
}
