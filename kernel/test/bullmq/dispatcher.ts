// Test support for the bullmq tests: a real dispatcher whose executors are the built-in local and
// inline ones plus the bullmq executor given, the client pointed at it; and its stop, which also
// forgets it and removes its data.
import { rmSync } from "node:fs";
import * as ct from "valence-workflows";
import { InlineExecutor, LocalExecutor } from "#src/executors/index.js";
import { forgetDispatcher, pointClientAt } from "../support/dispatcher.ts";

export async function startScaleOutDispatcher(dataDir: string, bullmq: ct.Executor): Promise<ct.RunningDispatcher> {
  const executors = { local: new LocalExecutor({ maxWorkers: 1 }), inline: new InlineExecutor(), bullmq };
  const dispatcher = await ct.startDispatcher({ dataDir, publish: false, executors });
  pointClientAt(dispatcher);
  return dispatcher;
}

export async function stopScaleOutDispatcher(
  dispatcher: ct.RunningDispatcher | undefined,
  dataDir: string,
): Promise<void> {
  await dispatcher?.close();
  forgetDispatcher();
  rmSync(dataDir, { recursive: true, force: true });
}
