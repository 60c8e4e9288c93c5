// `ct.display(value)`: shows a value as a cell output. In the Valence kernel this sends a rich MIME
// bundle (a Graph draws its DAG); anywhere else it prints the value's text. The kernel installs the
// hook on globalThis, so every loaded copy of valence reaches the same kernel.
import { inspect } from "node:util";

export type MimeBundle = Readonly<Record<string, unknown>>;

export interface DisplayOptions {
  /** Names the output, so a later `display(…, { displayId, update: true })` replaces it in place. */
  readonly displayId?: string;
  /** Replace the output named by `displayId` instead of adding one. */
  readonly update?: boolean;
  /** `value` is a MIME bundle ({ "text/html": …, "text/plain": … }) to send as it is. */
  readonly raw?: boolean;
}

export interface DisplayHook {
  display(value: unknown, options: DisplayOptions): Promise<void>;
  clearOutput(wait: boolean): Promise<void>;
}

const HOOK = Symbol.for("valence.display");

export function installDisplayHook(hook: DisplayHook | undefined): void {
  (globalThis as { [HOOK]?: DisplayHook })[HOOK] = hook;
}

/** Shows `value` in the cell (resolves once it is sent); outside a notebook, prints its text. */
export function display(value: unknown, options: DisplayOptions = {}): Promise<void> {
  const hook = (globalThis as { [HOOK]?: DisplayHook })[HOOK];
  if (hook) return hook.display(value, options);
  const bundle = options.raw ? (value as MimeBundle) : undefined;
  const text = bundle ? bundle["text/plain"] : undefined;
  console.log(typeof text === "string" ? text : inspect(value));
  return Promise.resolve();
}

/** Clears the cell's output; with `wait`, only when the next output arrives (no flicker in loops). */
export function clearOutput(options: { readonly wait?: boolean } = {}): Promise<void> {
  const hook = (globalThis as { [HOOK]?: DisplayHook })[HOOK];
  return hook ? hook.clearOutput(Boolean(options.wait)) : Promise.resolve();
}
