// Test support: structure-aware mutation of JSON requests, for the hostile-input fuzzer. A mutation
// picks a field anywhere in a valid request (an object member or an array element, at any depth) and
// breaks it in a way a careless or hostile client might: a boundary number, another type, a deleted or
// duplicated entry, a string that is nearly right, deep nesting. Seeded, so a failure can be replayed.

export type Random = () => number;

/** mulberry32: small, fast, good enough to pick mutations. */
export function seeded(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

let deep: unknown = 0;
for (let i = 0; i < 300; i++) deep = [deep];

/** Values at the edges of what each field accepts, and of what a runtime can hold. */
export const BOUNDARY_VALUES: readonly unknown[] = [
  -1,
  0,
  1,
  2,
  -2147483648,
  2147483647,
  2147483648,
  4294967295,
  4294967296,
  Number.MAX_SAFE_INTEGER,
  -Number.MAX_SAFE_INTEGER,
  1e308,
  -1e308,
  0.5,
  -0.5,
  "",
  "a",
  "\u0000",
  "%",
  "%E0%A4%A",
  "../../etc/passwd",
  "x".repeat(70_000),
  null,
  true,
  false,
  [],
  {},
  [0],
  { kind: "future", node: 0 },
  { __proto__: { polluted: true } },
  JSON.parse('{"__proto__": {"polluted": true}}') as unknown,
  deep,
];

type Path = ReadonlyArray<string | number>;

/** Every path to a value inside `value` (long arrays: their first, last and a few random elements). */
function paths(value: unknown, random: Random, at: Path = [], out: Path[] = []): Path[] {
  out.push(at);
  if (Array.isArray(value)) {
    const n = value.length;
    const chosen =
      n <= 6 ? [...value.keys()] : [0, 1, n - 1, ...Array.from({ length: 3 }, () => Math.floor(random() * n))];
    for (const i of new Set(chosen)) paths(value[i], random, [...at, i], out);
  } else if (value !== null && typeof value === "object") {
    for (const key of Object.keys(value)) {
      paths(Object.getOwnPropertyDescriptor(value, key)!.value, random, [...at, key], out);
    }
  }
  return out;
}

function parentOf(root: unknown, path: Path): Record<string | number, unknown> {
  let node = root as Record<string | number, unknown>;
  for (const step of path.slice(0, -1)) node = Object.getOwnPropertyDescriptor(node, step)!.value as typeof node;
  return node;
}

/** A nearly-right version of a string: a letter swapped for another of the same column's alphabet, cut, grown. */
function nearString(text: string, random: Random): string {
  const at = Math.floor(random() * Math.max(text.length, 1));
  const alphabet = /^[pesldia]*$/.test(text) ? "pesldiax" : /^[dw]*$/.test(text) ? "dwx" : "A/+=-_%\u00e9\u0000";
  switch (Math.floor(random() * 4)) {
    case 0:
      return text.slice(0, at) + pick(random, [...alphabet]) + text.slice(at + 1);
    case 1:
      return text.slice(0, at);
    case 2:
      return text + pick(random, [...alphabet]);
    default:
      return text.slice(0, at) + text.slice(at + 1);
  }
}

/** One mutation of `root` in place; returns what it did, for the failure message. */
function mutateOnce(root: unknown, random: Random): string {
  const all = paths(root, random).filter((p) => p.length > 0);
  if (all.length === 0) {
    (root as Record<string, unknown>).extra = 1; // everything was deleted already
    return "added extra to an empty request";
  }
  const path = pick(random, all);
  const parent = parentOf(root, path);
  const key = path.at(-1)!;
  const old = parent[key];
  const where = path.join(".");
  const roll = random();
  if (roll < 0.12) {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key];
    return `deleted ${where}`;
  }
  if (roll < 0.2 && Array.isArray(parent)) {
    parent.splice(key as number, 0, structuredClone(old));
    return `duplicated ${where}`;
  }
  if (roll < 0.35 && typeof old === "string") {
    parent[key] = nearString(old, random);
    return `nearly-right string at ${where}`;
  }
  if (roll < 0.5 && typeof old === "number") {
    const value = pick(random, [old + 1, old - 1, -old, old * 2 ** 20, -1, 0, 2147483647, 2 ** 31, 0.5]);
    parent[key] = value;
    return `${where} = ${value}`;
  }
  if (roll < 0.55 && typeof old === "object" && old !== null && !Array.isArray(old)) {
    (old as Record<string, unknown>)[pick(random, ["extra", "__proto__", "constructor", "0"])] = 1;
    return `extra member in ${where}`;
  }
  // A copy: a later mutation must not change the list's own value.
  const value = structuredClone(pick(random, BOUNDARY_VALUES));
  parent[key] = value;
  return `${where} = ${JSON.stringify(value)?.slice(0, 40)}`;
}

/** A mutated copy of `value` (1 to 3 mutations) and what was done. */
export function mutate<T>(value: T, random: Random): { value: T; what: string } {
  const copy = structuredClone(value);
  const count = 1 + Math.floor(random() * 3);
  const what: string[] = [];
  for (let i = 0; i < count; i++) what.push(mutateOnce(copy, random));
  return { value: copy, what: what.join("; ") };
}
