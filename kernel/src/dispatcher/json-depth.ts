// How deep a JSON text nests, found before it is parsed: JSON.parse copes with any depth, but what
// walks the value afterwards (the schema check, JSON.stringify when it is stored) recurses, and a
// request nested 10,000 levels deep once ran them out of stack (a 500).

/** What a JSON text's nesting turns on: brackets, braces, and quotes (strings are skipped whole). */
const STRUCTURE = /["[\]{}]/g;

/** The deepest level of arrays and objects in `text` (a JSON text), counting only up to `limit + 1`. */
export function jsonDepth(text: string, limit: number): number {
  let depth = 0;
  let deepest = 0;
  STRUCTURE.lastIndex = 0;
  // The regular expression skips numbers, and indexOf a string's contents, natively: a 5 MB graph
  // of number columns and base64 is scanned in a few ms.
  for (let match = STRUCTURE.exec(text); match; match = STRUCTURE.exec(text)) {
    const c = text.charCodeAt(match.index);
    if (c === 0x22) {
      let end = match.index;
      do end = text.indexOf('"', end + 1);
      while (end !== -1 && escaped(text, end));
      if (end === -1) break;
      STRUCTURE.lastIndex = end + 1;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > deepest && (deepest = depth) > limit) break;
    } else depth--;
  }
  STRUCTURE.lastIndex = 0;
  return deepest;
}

/** Whether the quote at `at` is escaped: an odd number of backslashes before it. */
function escaped(text: string, at: number): boolean {
  let backslashes = 0;
  while (text.charCodeAt(at - 1 - backslashes) === 0x5c) backslashes++;
  return backslashes % 2 === 1;
}
