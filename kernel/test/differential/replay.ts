// Replays one plan (the JSON a failed campaign prints) on a fresh dispatcher, `times` times, and
// prints each run's disagreements and every task node's attempts, errors and timings:
//   node --import ./kernel/dist/register.js kernel/test/differential/replay.ts local '<plan JSON>' [times] [cancelAfterMs]
// A plan printed "(followed over the websocket, cut after N messages)": VALENCE_REPLAY_OBSERVE=N; "(sent
// as a version 1 graph)": VALENCE_REPLAY_VERSION1=1; "tasks 1, 4 cancelled after 30 ms":
// VALENCE_REPLAY_CANCEL_NODES=30:1,4. Executor `runLocal`: through ct.runLocal, in this process.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ct from "valence-workflows";
import { InlineExecutor, LocalExecutor } from "#src/executors/index.js";
import { pointClientAt } from "../support/dispatcher.ts";
import { runAndCompare, taskNodeIds } from "./check.ts";
import type { Plan } from "./plan.ts";
import { npmCacheEnv } from "./npm-cache.ts";
import { runLocalAndCompare } from "./run-local.ts";

const [executor = "local", planText, timesText = "1", cancelText] = process.argv.slice(2);
if (!planText) throw new Error("usage: replay.ts <executor> '<plan JSON>' [times] [cancelAfterMs]");
const plan = JSON.parse(planText) as Plan;
const observeAfter = process.env.VALENCE_REPLAY_OBSERVE;
const observe = observeAfter === undefined ? undefined : { cutAfter: Number(observeAfter), pauseMs: 5 };
const version1 = process.env.VALENCE_REPLAY_VERSION1 === "1";
const [cancelMs, cancelTasks] = process.env.VALENCE_REPLAY_CANCEL_NODES?.split(":") ?? [];
const cancelNodes = cancelTasks ? { afterMs: Number(cancelMs), tasks: cancelTasks.split(",").map(Number) } : undefined;
const restoreEnv = npmCacheEnv();
const dataDir = mkdtempSync(join(tmpdir(), "valence-replay-"));
const dispatcher = await ct.startDispatcher({
  dataDir,
  publish: false,
  executors: { inline: new InlineExecutor(), local: new LocalExecutor({ maxWorkers: 2 }) },
});
pointClientAt(dispatcher);
try {
  for (let run = 0; run < Number(timesText); run++) {
    const dir = mkdtempSync(join(tmpdir(), "valence-replay-run-"));
    const cancelAfterMs = cancelText === undefined ? undefined : Number(cancelText);
    const started = Date.now();
    const report =
      executor === "runLocal"
        ? await runLocalAndCompare(plan, dir)
        : await runAndCompare(plan, executor, { dir, cancelAfterMs, cancelNodes, observe, version1 });
    const problems = report.problems.length ? report.problems.join("; ") : "agrees";
    console.log(`run ${run}: ${report.status} in ${Date.now() - started} ms, ${problems}`);
    if (report.problems.length && executor !== "runLocal") {
      const result = await ct.getResult(report.dispatchId);
      for (const id of taskNodeIds(plan, join(dir, "log"), executor)) {
        const node = await result.getNodeResult(id);
        console.log(`  node ${id}: ${node.status}, ${node.attempts} attempts, error ${node.error?.message ?? "-"}`);
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
} finally {
  await dispatcher.close();
  rmSync(dataDir, { recursive: true, force: true });
  restoreEnv();
}
