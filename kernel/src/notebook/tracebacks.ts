// Errors as a notebook shows them: a compile error names the cell's line and column; a thrown error
// keeps its name and message, and its traceback only the user's frames — each cell frame at the
// cell's own line and column, none of the kernel's, tslab's or Node's internals.
import { join } from "node:path";
import type { Diagnostic } from "tslab/dist/converter";
import { PACKAGE_ROOT } from "./valence-module";

export interface CellError {
  readonly ename: string;
  readonly evalue: string;
  readonly traceback: string[];
}

/**
 * A cell frame's file, line and column (1-based) → the cell's line and column; null for a position
 * outside the cell's source (code the kernel added), undefined when the cell has no map.
 */
export type FrameMapper = (
  file: string,
  line: number,
  column: number,
) => { line: number; column: number } | null | undefined;

/** The cells' frames are named by their labels ("cell [3]"), which is what `isCell` recognises. */
export interface CellFrames {
  readonly isCell: (file: string) => boolean;
  readonly map: FrameMapper;
}

const OURS = join(PACKAGE_ROOT, "dist");
const INTERNAL = /\(?(node:internal|node:vm)|[\\/]tslab[\\/]/;

export function compileError(diagnostics: readonly Diagnostic[]): CellError {
  const lines = diagnostics.map((d) => {
    const where = `${d.fileName ? `${d.fileName} ` : ""}line ${d.start.line + 1}, column ${d.start.character + 1}`;
    return `${where}: ${d.messageText}`;
  });
  return { ename: "TypeScript", evalue: lines[0] ?? "the cell does not compile", traceback: lines };
}

/** The error as a notebook shows it: name, message, and only the user's frames of its stack. */
export function runtimeError(error: unknown, cells?: CellFrames): CellError {
  if (!(error instanceof Error)) {
    const text = String(error);
    return { ename: "Error", evalue: `uncaught value: ${text}`, traceback: [`Uncaught ${text}`] };
  }
  const head = `${error.name}: ${error.message}`;
  const cause = error.cause instanceof Error ? [`caused by: ${userStack(error.cause, cells)}`] : [];
  return { ename: error.name, evalue: error.message, traceback: [head, ...userFrames(error.stack, cells), ...cause] };
}

function userStack(error: Error, cells: CellFrames | undefined): string {
  return [`${error.name}: ${error.message}`, ...userFrames(error.stack, cells)].join("\n");
}

function userFrames(stack: string | undefined, cells: CellFrames | undefined): string[] {
  const frames: string[] = [];
  for (const line of (stack ?? "").split("\n")) {
    if (!/^\s+at /.test(line) || INTERNAL.test(line) || line.includes(OURS)) continue;
    const frame = cellFrame(line, cells);
    if (frame !== undefined) frames.push(frame);
  }
  return frames;
}

/**
 * `at f (cell [3]:9:14)`: the position in the compiled cell becomes the cell's own; a frame in code
 * the kernel added around the cell (its wrapper's call) is dropped.
 */
function cellFrame(frame: string, cells: CellFrames | undefined): string | undefined {
  const found = /^(\s+at (?:async )?)(?:(.*) \()?(.+?):(\d+):(\d+)\)?$/.exec(frame);
  if (!found) return frame;
  const [, at, name, file, line, column] = found as unknown as [
    string,
    string,
    string | undefined,
    string,
    string,
    string,
  ];
  if (!cells?.isCell(file)) return frame;
  const original = cells.map(file, Number(line), Number(column));
  if (original === null) return undefined;
  // Without a map, name the cell rather than a compiled line that does not match its source.
  const where = `${file}${original ? `:${original.line}:${original.column}` : ""}`;
  // A cell's functions are called on the table of cell declarations (a Proxy); an anonymous
  // function's inferred name may come from the capture record around it: neither means anything.
  const shown = name?.includes("__valence_capture__") ? undefined : name?.replace(/^Proxy\./, "");
  return shown ? `${at}${shown} (${where})` : `${at}${where}`;
}
