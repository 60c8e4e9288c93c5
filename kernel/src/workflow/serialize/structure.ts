// Data that holds electrons, lattices, functions or modules (`const steps = [clean, train]`): the
// containers (arrays, plain objects, Maps, Sets) are copied with a placeholder at each such thing,
// the copy travels as one structured clone, and each thing travels beside it as a binding of its own
// with its path; where it is rebuilt, each one is put back at its path. Shared and cyclic containers
// are copied once, so the clone keeps them shared.
import { types } from "node:util";
import type { Binding, Hole, PathStep } from "./spec";

/** A binding for what cannot be cloned (it may throw, naming `where`), or undefined for data. */
export type Special = (value: object, where: string) => Binding | undefined;

export interface WithHoles {
  /** The value with a fresh placeholder object at each hole. */
  readonly data: unknown;
  readonly holes: Hole[];
}

/** Copies `value`'s containers with a hole at each thing `special` gives a binding for. */
export function withHoles(value: unknown, root: string, special: Special): WithHoles {
  const copies = new Map<object, unknown>();
  const specials = new Map<object, Binding | undefined>();
  const holes: Hole[] = [];
  const path: PathStep[] = [];

  const visit = (item: unknown, where: string): unknown => {
    if (item === null || (typeof item !== "object" && typeof item !== "function")) return item;
    if (copies.has(item)) return copies.get(item);
    let binding = specials.get(item);
    if (binding === undefined && !specials.has(item)) specials.set(item, (binding = special(item, where)));
    if (binding) {
      // One placeholder per place: a Set or Map keys need distinct ones, and each place is filled.
      holes.push({ path: [...path], binding });
      return {};
    }
    if (typeof item === "function") return item; // not reached: `special` takes every function
    const step = (next: PathStep, child: unknown, childWhere: string): unknown => {
      path.push(next);
      try {
        return visit(child, childWhere);
      } finally {
        path.pop();
      }
    };
    if (types.isMap(item)) {
      const copy = new Map();
      copies.set(item, copy);
      [...(item as Map<unknown, unknown>)].forEach(([key, entry], i) => {
        const shown = describeKey(key);
        const copiedKey = step({ key: i }, key, `${where}[map key ${i}]`);
        copy.set(copiedKey, step({ value: i }, entry, `${where}.get(${shown})`));
      });
      return copy;
    }
    if (types.isSet(item)) {
      const copy = new Set();
      copies.set(item, copy);
      [...(item as Set<unknown>)].forEach((entry, i) => copy.add(step({ item: i }, entry, `${where}[set item ${i}]`)));
      return copy;
    }
    const array = Array.isArray(item);
    if (!array && !isPlainObject(item)) return item; // Date, typed arrays, class instances: cloned as today
    const copy = (array ? new Array((item as unknown[]).length) : {}) as Record<string, unknown>;
    copies.set(item, copy);
    for (const key of Object.keys(item)) {
      const child = (item as Record<string, unknown>)[key];
      define(copy, key, step(key, child, array ? `${where}[${key}]` : `${where}.${key}`));
    }
    return copy;
  };

  const data = visit(value, root);
  return { data, holes };
}

/** Puts each hole's rebuilt value back into the cloned data. */
export function fillHoles(data: unknown, holes: readonly Hole[], values: readonly unknown[]): unknown {
  holes.forEach((hole, n) => {
    let container = data;
    for (const step of hole.path.slice(0, -1)) container = child(container, step);
    put(container, hole.path[hole.path.length - 1]!, values[n]);
  });
  return data;
}

function child(container: unknown, step: PathStep): unknown {
  if (typeof step === "string") return (container as Record<string, unknown>)[step];
  if ("item" in step) return [...(container as Set<unknown>)][step.item];
  const entry = [...(container as Map<unknown, unknown>)]["key" in step ? step.key : step.value]!;
  return "key" in step ? entry[0] : entry[1];
}

function put(container: unknown, step: PathStep, value: unknown): void {
  if (typeof step === "string") return define(container as Record<string, unknown>, step, value);
  if ("value" in step) {
    const map = container as Map<unknown, unknown>;
    map.set([...map.keys()][step.value], value);
    return;
  }
  // A Map key or a Set item: the collection is refilled in its order, so later positions still hold.
  if ("key" in step) {
    const map = container as Map<unknown, unknown>;
    const entries = [...map];
    map.clear();
    entries.forEach(([key, entry], i) => map.set(i === step.key ? value : key, entry));
  } else {
    const set = container as Set<unknown>;
    const items = [...set];
    set.clear();
    items.forEach((item, i) => set.add(i === step.item ? value : item));
  }
}

/** An own data property, even for a key such as "__proto__" that assignment would treat specially. */
function define(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}

/** Object literals and null-prototype objects (of any realm); not class instances. */
function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value) as object | null;
  return prototype === null || Object.getPrototypeOf(prototype) === null;
}

function describeKey(key: unknown): string {
  if (typeof key === "string" || typeof key === "number" || typeof key === "boolean") return JSON.stringify(key);
  return typeof key === "bigint" ? `${key}n` : typeof key === "object" && key !== null ? "{…}" : String(key);
}
