// Triggers as users make and manage them: `timeTrigger` and `dirTrigger` describe when to dispatch a
// lattice again (attached with `dispatch(flow, { triggers })`); the dispatcher keeps and runs them
// (dispatcher/triggers.ts). `listTriggers` and `stopTrigger` read and stop them from any process.
import { resolve } from "node:path";
import type { TriggerList, TriggerRecord, TriggerSpec } from "@valence/schema";
import { call } from "./connection";

export type { TriggerSpec, TriggerRecord } from "@valence/schema";

/** Every `everyMs` milliseconds (100 at least), or on a `cron` schedule ("0 * * * *": hourly). */
export function timeTrigger(options: { readonly everyMs: number } | { readonly cron: string }): TriggerSpec {
  if ("cron" in options) {
    if (typeof options.cron !== "string" || !options.cron.trim()) throw new TypeError("timeTrigger: cron is empty");
    return { kind: "time", cron: options.cron };
  }
  if (!(options.everyMs >= 100)) throw new RangeError(`timeTrigger: everyMs is ${options.everyMs}; 100 at least`);
  return { kind: "time", everyMs: options.everyMs };
}

export interface DirTriggerOptions {
  /** Which changes fire it. Default: all three. */
  readonly events?: ReadonlyArray<"add" | "change" | "unlink">;
  /** How long the directory must be quiet after a change before it fires. Default 500 ms. */
  readonly debounceMs?: number;
}

/** When files under `path` (resolved here: the dispatcher must see the same path) change. */
export function dirTrigger(path: string, options: DirTriggerOptions = {}): TriggerSpec {
  if (typeof path !== "string" || !path) throw new TypeError("dirTrigger takes a directory path");
  const events = options.events ? [...new Set(options.events)] : undefined;
  if (events && !events.length) throw new TypeError("dirTrigger: events is empty");
  return {
    kind: "dir",
    path: resolve(path),
    ...(events ? { events: events as ["add" | "change" | "unlink"] } : {}),
    ...(options.debounceMs !== undefined ? { debounceMs: options.debounceMs } : {}),
  };
}

/** The running triggers (with `all`, the stopped ones too), oldest first; `dispatchId`: that dispatch's only. */
export async function listTriggers(
  options: { readonly dispatchId?: string; readonly all?: boolean } = {},
): Promise<TriggerRecord[]> {
  const query = new URLSearchParams();
  if (options.dispatchId) query.set("dispatchId", options.dispatchId);
  if (options.all) query.set("all", "1");
  return (await call<TriggerList>("GET", `/api/v1/triggers?${query}`)).triggers;
}

/** Stops a trigger for good: it makes no more dispatches (those it made are kept). */
export function stopTrigger(triggerId: string): Promise<TriggerRecord> {
  return call<TriggerRecord>("POST", `/api/v1/triggers/${encodeURIComponent(triggerId)}/stop`);
}
