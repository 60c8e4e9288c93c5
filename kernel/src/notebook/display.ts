// What a value looks like as a cell output: a MIME bundle. Objects choose their own through Deno's
// `Symbol.for("Jupyter.display")` (or IJavascript's `_toMime()`); a bundle that carries a Valence DAG
// also gets a static SVG drawing, so GitHub, VS Code and nbconvert show the graph too.
import { inspect } from "node:util";
import { DAG_MIME_TYPE, type DagDocument } from "@valence/schema";
import type { MimeBundle } from "../display";
import { dagToSvg } from "./dag-svg";

const JUPYTER_DISPLAY = Symbol.for("Jupyter.display");

type Displayable = { [JUPYTER_DISPLAY](): MimeBundle | Promise<MimeBundle> } | { _toMime(): MimeBundle };

export class DisplayError extends Error {
  override readonly name = "DisplayError";
}

/** The bundle for `value`; `raw` takes `value` as a bundle already. */
export async function bundleOf(value: unknown, raw = false): Promise<Record<string, unknown>> {
  let bundle: MimeBundle | undefined;
  if (raw) {
    if (!isBundle(value)) throw new DisplayError("display(…, { raw: true }) takes a MIME bundle: { [mimeType]: data }");
    bundle = value;
  } else if (hasMethod(value, JUPYTER_DISPLAY)) {
    bundle = await (value as Extract<Displayable, { [JUPYTER_DISPLAY](): unknown }>)[JUPYTER_DISPLAY]();
    if (!isBundle(bundle))
      throw new DisplayError("a [Symbol.for('Jupyter.display')]() method must return a MIME bundle");
  } else if (hasMethod(value, "_toMime")) {
    bundle = (value as Extract<Displayable, { _toMime(): unknown }>)._toMime();
  }
  const full: Record<string, unknown> = { ...(bundle ?? {}) };
  const dag = full[DAG_MIME_TYPE];
  if (dag && typeof dag === "object" && !("image/svg+xml" in full))
    full["image/svg+xml"] = dagToSvg(dag as DagDocument);
  if (!("text/plain" in full)) full["text/plain"] = textOf(value);
  return full;
}

/** Plain text as Node shows it, without colour codes (they would land in saved notebooks). */
export function textOf(value: unknown): string {
  return inspect(value, { depth: 4, colors: false, maxArrayLength: 100 });
}

function hasMethod(value: unknown, key: PropertyKey): boolean {
  return (
    value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as Record<PropertyKey, unknown>)[key] === "function"
  );
}

function isBundle(value: unknown): value is MimeBundle {
  return (
    value !== null &&
    typeof value === "object" &&
    !Array.isArray(value) &&
    Object.keys(value).length > 0 &&
    Object.keys(value).every((key) => /^[\w.+-]+\/[\w.+-]+$/.test(key))
  );
}
