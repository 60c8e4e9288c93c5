// Where a serialized function was written, so its failures point there. The notebook kernel knows
// (it compiled the cell) and answers through a locator; the serializer stores the answer beside the
// function's source; where the function is rebuilt, its script gets a name that stack frames carry,
// and `mapStack` turns those frames back into the cell's own lines and columns.
import { createHash } from "node:crypto";
import type { AnyFunction } from "../definition";
import { decodeMappings, findSegment, type Segment } from "./source-map";

export interface SourceOrigin {
  /** Where the function was written, as stack traces name it ("cell [3]"). */
  readonly file: string;
  /**
   * Source-map mappings (base64 VLQ, one source) from the function's `source` — generated line 0 is
   * its first line, columns as in `source` — to 0-based lines and columns of `file`.
   */
  readonly mappings: string;
}

export type OriginLocator = (fn: AnyFunction, source: string) => SourceOrigin | undefined;

const LOCATOR = Symbol.for("valence.originLocator");
const FILE_LOCATOR = Symbol.for("valence.fileOriginLocator");
const global = globalThis as typeof globalThis & { [LOCATOR]?: OriginLocator; [FILE_LOCATOR]?: OriginLocator };
const found = new WeakMap<AnyFunction, SourceOrigin | null>();

/** Installed by whatever compiled the code (the notebook kernel); shared by every copy of valence. */
export function setOriginLocator(locator: OriginLocator | undefined): void {
  global[LOCATOR] = locator;
}

/** Installed by Valence's loader for the files it ran; asked when the other locator knows nothing. */
export function setFileOriginLocator(locator: OriginLocator | undefined): void {
  global[FILE_LOCATOR] = locator;
}

/** A rebuilt function keeps the origin it came with, when it is sent again (a sublattice, a redispatch). */
export function keepOrigin(fn: AnyFunction, origin: SourceOrigin): void {
  found.set(fn, origin);
}

/** The origin of a function about to be serialized, asked once per function. */
export function originOf(fn: AnyFunction, source: string): SourceOrigin | undefined {
  let origin = found.get(fn);
  if (origin === undefined) {
    const cell = global[LOCATOR];
    const file = global[FILE_LOCATOR];
    if (!cell && !file) return undefined;
    found.set(fn, (origin = cell?.(fn, source) ?? file?.(fn, source) ?? null));
  }
  return origin ?? undefined;
}

interface Rebuilt {
  readonly origin: SourceOrigin;
  lines?: Segment[][];
}

/** Rebuilt functions' origins by script id (a hash, so rebuilding the same function adds nothing). */
const scripts = new Map<string, Rebuilt>();
const MAX_SCRIPTS = 10_000;
const TAG = "#v";

/**
 * The script name (`//# sourceURL=`) to rebuild a function with `origin` under: its origin's file,
 * without spaces (a source URL ends at one), and an id that `mapStack` resolves.
 */
export function scriptName(origin: SourceOrigin): string {
  const id = createHash("sha1").update(origin.file).update("\n").update(origin.mappings).digest("hex").slice(0, 12);
  if (!scripts.has(id)) {
    if (scripts.size >= MAX_SCRIPTS) scripts.delete(scripts.keys().next().value!);
    scripts.set(id, { origin });
  }
  return `${origin.file.replace(/\s/g, "_")}${TAG}${id}`;
}

/**
 * Where a rebuilt function's line 0 is in its script: `new Function` puts two lines before the body
 * (ECMAScript's CreateDynamicFunction: "function anonymous(params\n) {\n"), and the rebuild's
 * preamble is the body's first line.
 */
const FIRST_LINE = 4;

/** The stack with frames of rebuilt functions at their origin's line and column ("cell [3]:4:11"). */
export function mapStack(stack: string): string {
  if (!stack.includes(TAG)) return stack;
  return stack
    .split("\n")
    .map((line) => {
      const frame = /^(\s+at (?:async )?)(?:(.*) \()?(\S+?)#v([0-9a-f]{12}):(\d+):(\d+)\)?$/.exec(line);
      const script = frame && scripts.get(frame[4]!);
      if (!frame || !script) return line;
      const [, at, name, , , row, column] = frame as unknown as string[];
      const found = findSegment(linesOf(script), Number(row) - FIRST_LINE, Number(column) - 1);
      const where = `${script.origin.file}${found ? `:${found[1] + 1}:${found[2] + 1}` : ""}`;
      // Names the rebuild gives (`Object.f` on the rebuilt table of cell declarations, `[as fn]` of
      // the electron's definition, a capture record's inferred name) mean nothing to the user.
      const shown = name?.includes("__valence_capture__")
        ? undefined
        : name?.replace(/^Object\./, "").replace(/ \[as fn\]$/, "");
      return shown ? `${at}${shown} (${where})` : `${at}${where}`;
    })
    .join("\n");
}

/** A spec's mappings, decoded once; malformed ones map nothing rather than fail the error report. */
function linesOf(script: Rebuilt): Segment[][] {
  if (!script.lines) {
    try {
      script.lines = decodeMappings(script.origin.mappings);
    } catch {
      script.lines = [];
    }
  }
  return script.lines;
}
