// A short, safe rendering of a value for graphs and messages. Previews are for people: bounded in
// size whatever the value, and never used to rebuild the value.
import { inspect } from "node:util";
import type { ValuePreview } from "@valence/schema";

const MAX_PREVIEW = 160;

export function previewValue(value: unknown): ValuePreview {
  // The common case, cheaply: numbers and booleans print the same as inspect would print them.
  if (typeof value === "number" || typeof value === "boolean") return { type: typeof value, preview: String(value) };
  const text = inspect(value, {
    depth: 2,
    breakLength: Infinity,
    maxArrayLength: 10,
    maxStringLength: 80,
    compact: true,
  });
  const preview = text.length > MAX_PREVIEW ? `${text.slice(0, MAX_PREVIEW - 1)}…` : text;
  return { type: typeName(value), preview };
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (typeof value !== "object") return typeof value;
  const proto = Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null;
  return proto?.constructor?.name || "Object";
}
