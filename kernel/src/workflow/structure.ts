// Which values are walked for futures: arrays and plain objects, the same containers Covalent turns
// into list and dict nodes. Anything else (Map, class instances, typed arrays) is a leaf value.
import { isFuture } from "./future";

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object") return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** True when a future sits anywhere inside arrays / plain objects of `value`. */
export function containsFuture(value: unknown, seen = new Set<unknown>()): boolean {
  if (isFuture(value)) return true;
  if (seen.has(value)) return false;
  if (Array.isArray(value)) {
    seen.add(value);
    return value.some((item) => containsFuture(item, seen));
  }
  if (isPlainObject(value)) {
    seen.add(value);
    return Object.values(value).some((item) => containsFuture(item, seen));
  }
  return false;
}
