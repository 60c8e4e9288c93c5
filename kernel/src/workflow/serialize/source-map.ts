// The `mappings` of a source map (base64 VLQ, one source): decoded to segments per generated line,
// encoded back, and looked up. Hand-written because the kernel composes the compiler's maps and an
// executor reads a function's slice of them — no source-map library is loaded for either.

/** One mapping: generated column → original line and column (all 0-based). */
export type Segment = readonly [generatedColumn: number, line: number, column: number];

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const DIGITS = new Map([...ALPHABET].map((char, i) => [char, i]));

/** Segments of each generated line. Fields beyond the original position (names) are skipped. */
export function decodeMappings(mappings: string): Segment[][] {
  const lines: Segment[][] = [];
  let line: Segment[] = [];
  let source = 0;
  let originalLine = 0;
  let originalColumn = 0;
  let i = 0;
  const field = (): number => {
    let value = 0;
    let shift = 0;
    for (;;) {
      const digit = DIGITS.get(mappings[i++]!);
      if (digit === undefined) throw new SyntaxError("invalid source map mappings");
      value += (digit & 31) << shift;
      shift += 5;
      if (!(digit & 32)) break;
    }
    return value & 1 ? -(value >>> 1) : value >>> 1;
  };
  let column = 0;
  while (i <= mappings.length) {
    const char = mappings[i];
    if (char === undefined || char === ";") {
      lines.push(line);
      line = [];
      column = 0;
      i++;
      continue;
    }
    if (char === ",") {
      i++;
      continue;
    }
    column += field();
    const end = (): boolean => i >= mappings.length || mappings[i] === "," || mappings[i] === ";";
    if (end()) continue; // a generated position mapped to nothing
    source += field();
    originalLine += field();
    originalColumn += field();
    if (!end()) field(); // the name
    if (source === 0) line.push([column, originalLine, originalColumn]);
  }
  return lines;
}

export function encodeMappings(lines: readonly (readonly Segment[])[]): string {
  let out = "";
  let originalLine = 0;
  let originalColumn = 0;
  const field = (value: number): void => {
    let vlq = value < 0 ? (-value << 1) | 1 : value << 1;
    do {
      let digit = vlq & 31;
      vlq >>>= 5;
      if (vlq) digit |= 32;
      out += ALPHABET[digit];
    } while (vlq);
  };
  lines.forEach((segments, index) => {
    if (index > 0) out += ";";
    let column = 0;
    segments.forEach(([generated, line, original], n) => {
      if (n > 0) out += ",";
      field(generated - column);
      field(0);
      field(line - originalLine);
      field(original - originalColumn);
      column = generated;
      originalLine = line;
      originalColumn = original;
    });
  });
  return out;
}

/** The segment that covers a generated position: the last one starting at or before it on its line. */
export function findSegment(lines: readonly (readonly Segment[])[], line: number, column: number): Segment | undefined {
  const segments = lines[line];
  if (!segments?.length) return undefined;
  let low = 0;
  let high = segments.length - 1;
  if (segments[0]![0] > column) return segments[0];
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (segments[middle]![0] <= column) low = middle;
    else high = middle - 1;
  }
  return segments[low];
}

/**
 * The mappings of the function whose source is `code.slice(start, start + length)`, given `map` of
 * all of `code`: its first line starts at its own column 0 (as `SourceOrigin.mappings` wants).
 */
export function functionMappings(
  code: string,
  map: readonly (readonly Segment[])[],
  start: number,
  length: number,
): string {
  const first = lineOf(code, start);
  const last = lineOf(code, start + length);
  const column = start - first.start;
  const lines: Segment[][] = [];
  for (let line = first.line; line <= last.line; line++) {
    let segments = [...(map[line] ?? [])];
    if (line === last.line) segments = segments.filter((s) => s[0] < start + length - last.start);
    if (line === first.line) {
      const covering = findSegment(map, line, column);
      segments = segments.filter((s) => s[0] > column).map(([g, l, c]) => [g - column, l, c] as const);
      if (covering) segments.unshift([0, covering[1], covering[2]]);
    }
    lines.push(segments);
  }
  return encodeMappings(lines);
}

function lineOf(text: string, offset: number): { line: number; start: number } {
  let line = 0;
  let start = 0;
  for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, start };
}
