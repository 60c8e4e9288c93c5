// How deep a JSON text nests, found before it is parsed: JSON.parse copes with any depth, but what
// walks the value afterwards (the schema check, JSON.stringify when it is stored) recurses, and a
// request nested 10,000 levels deep once ran them out of stack (a 500).

/** The deepest level of arrays and objects in `text` (a JSON text), counting only up to `limit + 1`. */
export function jsonDepth(text: string, limit: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > deepest && (deepest = depth) > limit) return deepest;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}
