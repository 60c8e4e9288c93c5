// The way back from a running cell to its TypeScript: a cell runs as JavaScript that the compiler
// made (two steps: ES module, then CommonJS), the instrumenter added capture records to, and the
// kernel wrapped in an async function. Each step's map is composed, on first need, into one map from
// the running script to the cell's lines and columns — for tracebacks, and for the functions a
// dispatch sends away (each carries its own slice).
import type * as TypeScript from "@tslab/typescript-for-tslab";
import type { Insert } from "../instrument";
import { decodeMappings, findSegment, functionMappings, type Segment } from "../workflow/serialize/source-map";
import type { SourceOrigin } from "../workflow/serialize/origins";

export interface CellParts {
  /** The compiler's CommonJS output, as it was instrumented. */
  readonly compiled: string;
  /** The ES module text it was made from, with its inline source map. */
  readonly esOutput: string;
  readonly transpileTarget: number;
  /** Where the instrumenter added text to `compiled`. */
  readonly inserts: readonly Insert[];
  /** Characters the kernel's wrapper puts before the code on its first line. */
  readonly prefix: number;
  /** Lines of the cell's source. */
  readonly sourceLines: number;
}

/** tslab compiles `export {};\n` + the cell: the cell's line 0 is the compiled file's line 1. */
const PRELUDE_LINES = 1;
const INLINE_MAP = /\n\/\/# sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)\s*$/;

/** Removes the compiler's inline source map comments (the ES step's, kept by the CommonJS step). */
export function withoutSourceMaps(code: string): string {
  return code.replace(/(\n\/\/# sourceMappingURL=[^\n]*)+\s*$/, "\n");
}

export class CellScript {
  private map?: Segment[][] | null;

  constructor(
    /** The name its frames carry ("cell [3]"). */
    readonly label: string,
    /** The script as it ran. */
    readonly code: string,
    private readonly parts: CellParts | undefined,
    private readonly ts: typeof TypeScript,
  ) {}

  /**
   * The cell's line and column (1-based) of a position in the running script (1-based, as in
   * stacks); null when the position is outside the cell's code, undefined without a map.
   */
  original(line: number, column: number): { line: number; column: number } | null | undefined {
    const map = this.composed();
    if (!map) return undefined;
    const at = findSegment(map, line - 1, column - 1);
    return at ? { line: at[1] + 1, column: at[2] + 1 } : null;
  }

  /** The origin of a function whose source is `code.slice(start, start + length)`. */
  originOf(start: number, length: number): SourceOrigin | undefined {
    const map = this.composed();
    return map ? { file: this.label, mappings: functionMappings(this.code, map, start, length) } : undefined;
  }

  /** Running script → cell source, per line of the script; null when a step's map is missing. */
  private composed(): Segment[][] | null {
    if (this.map === undefined) {
      try {
        this.map = this.compose();
      } catch {
        this.map = null; // an error report must not fail for want of a map
      }
    }
    return this.map;
  }

  private compose(): Segment[][] | null {
    const parts = this.parts;
    const inline = parts && INLINE_MAP.exec(parts.esOutput);
    if (!parts || !inline) return null;
    const esMap = decodeMappings((JSON.parse(Buffer.from(inline[1]!, "base64").toString()) as RawMap).mappings);
    const cjsMap = this.commonJsMap(parts);
    if (!cjsMap) return null;
    const lineStarts = starts(parts.compiled);
    const shifts = new Shifts(parts.inserts);
    return cjsMap.map((segments, line) => {
      const lineStart = lineStarts[line] ?? Infinity;
      const out: Segment[] = [];
      for (const [generated, esLine, esColumn] of segments) {
        const source = findSegment(esMap, esLine, esColumn);
        const sourceLine = source ? source[1] - PRELUDE_LINES : -1;
        if (!source || sourceLine < 0 || sourceLine >= parts.sourceLines) continue;
        const offset = lineStart + generated;
        const column = generated + shifts.upTo(offset) - shifts.upTo(lineStart - 1) + (line === 0 ? parts.prefix : 0);
        out.push([column, sourceLine, source[2]]);
      }
      return out;
    });
  }

  /** The CommonJS step redone with a map (tslab made it without); null if it does not match. */
  private commonJsMap(parts: CellParts): Segment[][] | null {
    const ts = this.ts;
    const result = ts.transpileModule(parts.esOutput, {
      fileName: "custom.js",
      compilerOptions: {
        module: ts.ModuleKind.CommonJS,
        esModuleInterop: true,
        target: parts.transpileTarget,
        newLine: ts.NewLineKind.LineFeed,
        noImplicitUseStrict: true,
        sourceMap: true,
      },
    });
    if (!result.sourceMapText || withoutSourceMaps(result.outputText) !== parts.compiled) return null;
    return decodeMappings((JSON.parse(result.sourceMapText) as RawMap).mappings);
  }
}

interface RawMap {
  readonly mappings: string;
}

function starts(text: string): number[] {
  const result = [0];
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) result.push(i + 1);
  return result;
}

/** How far the instrumenter's additions move a position of the compiled code. */
class Shifts {
  private readonly at: number[];
  private readonly total: number[];

  constructor(inserts: readonly Insert[]) {
    this.at = inserts.map((insert) => insert[0]);
    let sum = 0;
    this.total = inserts.map((insert) => (sum += insert[1]));
  }

  /** Characters added at offsets ≤ `offset` (text added at an offset goes before its character). */
  upTo(offset: number): number {
    let low = 0;
    let high = this.at.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (this.at[middle]! <= offset) low = middle + 1;
      else high = middle;
    }
    return low === 0 ? 0 : this.total[low - 1]!;
  }
}
