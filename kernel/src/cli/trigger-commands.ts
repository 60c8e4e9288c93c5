// `valence triggers [--all]` and `valence triggers stop <id>`: the triggers the dispatcher keeps
// (what each dispatches again, on what, how often it did), and stopping one.
import type { TriggerRecord, TriggerSpec } from "@valence/schema";
import { listTriggers, stopTrigger } from "../client/triggers";
import { dispatcher, print, type ReadOptions } from "./dispatch-commands";
import { colours, paint, short, table, when } from "./terminal";

/** What fires the trigger, in words. */
export function triggerText(trigger: TriggerSpec): string {
  if (trigger.kind === "dir") return `changes in ${trigger.path}`;
  return "cron" in trigger ? `cron ${trigger.cron}` : `every ${trigger.everyMs} ms`;
}

export async function triggers(options: ReadOptions & { readonly all?: boolean }): Promise<void> {
  await dispatcher(options);
  const found = await listTriggers(options.all ? { all: true } : {});
  if (options.json) return print(JSON.stringify(found, null, 2));
  if (!found.length) return print(options.all ? "no triggers" : "no running triggers (--all lists stopped ones)");
  const on = colours();
  const row = (t: TriggerRecord) => [
    t.id,
    t.dispatchId,
    triggerText(t.trigger),
    String(t.fired),
    t.lastFiredAt === undefined ? "" : when(t.lastFiredAt),
    t.stoppedAt !== undefined
      ? paint(`stopped ${when(t.stoppedAt)}`, 2, on)
      : t.lastError
        ? paint(short(t.lastError, 50), 31, on)
        : (t.lastDispatchId ?? ""),
  ];
  print(table(["ID", "DISPATCH", "WHEN", "FIRED", "LAST", ""], found.map(row)));
}

export async function stop(id: string, options: ReadOptions): Promise<void> {
  await dispatcher(options);
  const stopped = await stopTrigger(id);
  if (options.json) return print(JSON.stringify(stopped, null, 2));
  print(`stopped trigger ${id} (${triggerText(stopped.trigger)}); it made ${stopped.fired} dispatches`);
}
