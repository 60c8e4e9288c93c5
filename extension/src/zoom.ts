// Pan by dragging, zoom with Ctrl/⌘ + wheel: a plain wheel keeps scrolling the notebook.
import { select } from "d3-selection";
import { zoom, type D3ZoomEvent } from "d3-zoom";

/** Zoom limits relative to the drawn size. */
const SCALE_EXTENT: [number, number] = [0.1, 8];

export function enableZoom(svg: SVGSVGElement): void {
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
}
