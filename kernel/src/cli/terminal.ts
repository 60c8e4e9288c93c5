// How the CLI prints for a person: aligned columns, statuses in colour when the output is a terminal
// (and NO_COLOR is not set), times and durations in short human form. Scripts ask for --json instead.
import type { Status } from "@valence/schema";

const COLOURS: Partial<Record<Status, number>> = { COMPLETED: 32, FAILED: 31, RUNNING: 33, CANCELLED: 90 };

export function colours(stream: NodeJS.WriteStream = process.stdout): boolean {
  return stream.isTTY === true && !process.env.NO_COLOR;
}

export function paint(text: string, code: number | undefined, on: boolean): string {
  return on && code !== undefined ? `\u001b[${code}m${text}\u001b[0m` : text;
}

export function statusText(status: Status, on: boolean): string {
  return paint(status, COLOURS[status], on);
}

/** Rows as aligned columns under a header; the last column is not padded. Widths ignore colour codes. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const visible = (cell: string) => cell.replace(/\u001b\[[0-9;]*m/g, "").length;
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => visible(row[i] ?? ""))));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell + " ".repeat(widths[i]! - visible(cell))))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

/** "2026-12-07 22:31:05" in local time. */
export function when(ms: number | undefined): string {
  if (ms === undefined) return "";
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** "850 ms", "12.3 s", "4 min 05 s", "2 h 03 min". */
export function took(from: number | undefined, to: number | undefined): string {
  if (from === undefined || to === undefined) return "";
  const ms = Math.max(0, to - from);
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor(s / 60) % 60).padStart(2, "0")} min`;
}

/** The first line of `text`, cut to `max` characters. */
export function short(text: string, max = 60): string {
  const first = text.split("\n", 1)[0] ?? "";
  return first.length > max ? `${first.slice(0, max - 1)}…` : first;
}
