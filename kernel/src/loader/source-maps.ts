// The source map of a file as the loader runs it. TypeScript's inline map describes its output, but
// the instrumenter then adds text within lines (never lines): each mapping moves right by what was
// added before it on its line. A JavaScript file the instrumenter changed gets a map of its own, so
// Node's stacks (and the origins of functions sent away, see user-files.ts) keep their columns.
import { basename } from "node:path";
import type { Insert } from "../instrument";
import { decodeMappings, encodeMappings, type Segment } from "../workflow/serialize/source-map";

const INLINE_MAP = /\n\/\/# sourceMappingURL=data:application\/json;(?:charset=utf-8;)?base64,([A-Za-z0-9+/=]+)\s*$/;
const ANY_MAP = /\n\/\/# sourceMappingURL=\S+\s*$/;

interface RawMap {
  readonly mappings: string;
  readonly [field: string]: unknown;
}

/** `instrumented` (which is `before` with `inserts` added) with a source map that accounts for them. */
export function withInstrumentMap(
  before: string,
  instrumented: string,
  inserts: readonly Insert[],
  path: string,
): string {
  if (!inserts.length) return instrumented;
  const inline = INLINE_MAP.exec(instrumented);
  if (inline) {
    const raw = JSON.parse(Buffer.from(inline[1]!, "base64").toString()) as RawMap;
    const mappings = encodeMappings(shift(decodeMappings(raw.mappings), before, inserts));
    return instrumented.slice(0, inline.index) + inlineComment({ ...raw, mappings });
  }
  if (ANY_MAP.test(instrumented)) return instrumented; // a map in another file: left as it is
  const mappings = encodeMappings(shift(identity(before), before, inserts));
  return `${instrumented}${inlineComment({ version: 3, sources: [basename(path)], names: [], mappings })}`;
}

/** The decoded inline map of code as it ran, if it has one. */
export function inlineMappings(code: string): Segment[][] | undefined {
  const inline = INLINE_MAP.exec(code);
  if (!inline) return undefined;
  try {
    return decodeMappings((JSON.parse(Buffer.from(inline[1]!, "base64").toString()) as RawMap).mappings);
  } catch {
    return undefined; // a broken map maps nothing rather than fail a dispatch
  }
}

function inlineComment(map: object): string {
  return `\n//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(map)).toString("base64")}`;
}

/** Every token of unchanged JavaScript mapped to itself. */
function identity(code: string): Segment[][] {
  return code
    .split("\n")
    .map((line, n) => [...line.matchAll(/[\w$]+|\S/g)].map((m) => [m.index!, n, m.index!] as const));
}

/** Moves each mapping of `before` right by the text inserted before it on its line. */
function shift(lines: Segment[][], before: string, inserts: readonly Insert[]): Segment[][] {
  const starts = [0];
  for (let i = before.indexOf("\n"); i !== -1; i = before.indexOf("\n", i + 1)) starts.push(i + 1);
  const at = inserts.map((insert) => insert[0]);
  let sum = 0;
  const total = inserts.map((insert) => (sum += insert[1]));
  // Characters added at offsets ≤ `offset` (text added at an offset goes before its character).
  const upTo = (offset: number): number => {
    let low = 0;
    let high = at.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (at[middle]! <= offset) low = middle + 1;
      else high = middle;
    }
    return low === 0 ? 0 : total[low - 1]!;
  };
  return lines.map((segments, line) => {
    const start = starts[line] ?? Infinity;
    const before = upTo(start - 1);
    return segments.map(([column, ...original]) => [column + upTo(start + column) - before, ...original] as const);
  });
}
