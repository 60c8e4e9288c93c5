// Where instrumented code records a function's free variables. JavaScript cannot read a closure's
// variables at run time, so Valence's loader (and the notebook kernel) rewrite each function that
// has any into `__valence_capture__(fn, { name: () => name, … }, imports)`; the serializer reads
// the record back. The registry lives on globalThis so every loaded copy of valence shares it.
import { installModuleGlobals, type ImportReference } from "./modules";

export type { ImportReference };

export interface Capture {
  /** One thunk per free variable, so a variable still in its temporal dead zone fails alone. */
  readonly thunks: Readonly<Record<string, () => unknown>>;
  readonly imports: Readonly<Record<string, ImportReference>>;
}

type CaptureFunction = <F>(
  fn: F,
  thunks: Record<string, () => unknown>,
  imports?: Record<string, ImportReference>,
) => F;

const REGISTRY = Symbol.for("valence.captures");
const global = globalThis as typeof globalThis & {
  [REGISTRY]?: WeakMap<object, Capture>;
  __valence_capture__?: CaptureFunction;
};

function registry(): WeakMap<object, Capture> {
  return (global[REGISTRY] ??= new WeakMap());
}

export function captureOf(fn: object): Capture | undefined {
  return registry().get(fn);
}

export const recordCapture: CaptureFunction = (fn, thunks, imports) => {
  if (typeof fn === "function") registry().set(fn, { thunks, imports: imports ?? {} });
  return fn;
};

/** Defines `__valence_capture__` (and the module records') for instrumented code. Idempotent. */
export function installCaptureGlobal(): void {
  global.__valence_capture__ ??= recordCapture;
  installModuleGlobals();
}
