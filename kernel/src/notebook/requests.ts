// Replies that need no kernel state: kernel_info, is_complete and the text of an inspection.
import type * as TypeScript from "@tslab/typescript-for-tslab";
import { isCompleteCode } from "./converter";
import { printQuickInfo } from "tslab/dist/inspect";
import { PROTOCOL_VERSION } from "./wire";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { version } = require("../../package.json") as { version: string };

export function kernelInfo(typescriptVersion: string): Record<string, unknown> {
  return {
    status: "ok",
    protocol_version: PROTOCOL_VERSION,
    implementation: "valence",
    implementation_version: version,
    language_info: {
      name: "typescript",
      version: typescriptVersion,
      mimetype: "text/typescript",
      file_extension: ".ts",
      // JupyterLab picks its TypeScript highlighting from this.
      codemirror_mode: { name: "javascript", typescript: true, mode: "typescript" },
      pygments_lexer: "typescript",
    },
    banner: `Valence ${version}: Covalent-style workflows in TypeScript (Node ${process.version}, TypeScript ${typescriptVersion})`,
  };
}

/** complete, incomplete (with the indent of the next line) or invalid (a syntax error more input cannot fix). */
export function isComplete(code: string): Record<string, unknown> {
  const verdict = isCompleteCode(code);
  if (!verdict.completed) return { status: "incomplete", indent: verdict.indent ?? "" };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ts = require("@tslab/typescript-for-tslab") as typeof TypeScript;
  const source = ts.createSourceFile("cell.ts", code, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const diagnostics = (source as unknown as { parseDiagnostics?: unknown[] }).parseDiagnostics ?? [];
  return { status: diagnostics.length ? "invalid" : "complete" };
}

export function inspectReply(info: TypeScript.QuickInfo | undefined): Record<string, unknown> {
  if (!info) return { status: "ok", found: false, data: {}, metadata: {} };
  return { status: "ok", found: true, data: { "text/plain": printQuickInfo(info) }, metadata: {} };
}
