// A progress bar per workflow run, for the terminal: tasks done / total, running, failed. Helper
// nodes (parameters, collections) resolve instantly and are not counted.
import { MultiBar, Presets, type SingleBar } from "cli-progress";
import { isTaskNode } from "@valence/schema";
import { onRunEvent, type RunGraph } from "../client/run-events";

/** Draws a bar for every run in this process until the returned function is called. */
export function showRunProgress(stream: NodeJS.WriteStream = process.stderr): () => void {
  const bars = new MultiBar(
    {
      stream,
      format: " {lattice} {bar} {value}/{total} tasks | {running} running | {failed} failed | {duration}s",
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
    },
    Presets.shades_classic,
  );
  // Without a terminal (CI logs, pipes) a bar cannot redraw: print one line per finished run instead.
  const live = stream.isTTY === true;
  const runs = new Map<
    RunGraph,
    {
      bar: SingleBar | undefined;
      total: number;
      started: number;
      running: Set<number>;
      done: number;
      failed: number;
      reasons: Set<string>;
    }
  >();
  const unsubscribe = onRunEvent((event) => {
    if (event.type === "start") {
      const total = event.graph.nodes.filter(isTaskNode).length;
      const bar = live ? bars.create(total, 0, { lattice: event.graph.latticeName, running: 0, failed: 0 }) : undefined;
      runs.set(event.graph, {
        bar,
        total,
        started: Date.now(),
        running: new Set(),
        done: 0,
        failed: 0,
        reasons: new Set(),
      });
      return;
    }
    const run = runs.get(event.graph);
    if (!run) return;
    if (event.type === "node") {
      const { update } = event;
      const node = event.graph.nodes[update.node];
      if (!node || !isTaskNode(node)) return;
      // A task its executor holds says why, once per reason: otherwise a run that waits looks hung.
      if (update.waiting && !run.reasons.has(update.waiting)) {
        run.reasons.add(update.waiting);
        const line = ` ${event.graph.latticeName}: ${update.name} (node ${update.node}) waits: ${update.waiting}`;
        if (run.bar) bars.log(`${line}\n`);
        else stream.write(`${line}\n`);
      }
      if (update.status === "RUNNING") run.running.add(update.node);
      else run.running.delete(update.node);
      if (update.status === "COMPLETED") run.done++;
      else if (update.status === "FAILED" || update.status === "CANCELLED") run.failed++;
      run.bar?.update(run.done + run.failed, { running: run.running.size, failed: run.failed });
      return;
    }
    runs.delete(event.graph);
    if (run.bar) {
      run.bar.update(run.done + run.failed, { running: 0, failed: run.failed });
      bars.update();
    } else {
      const took = ((Date.now() - run.started) / 1000).toFixed(2);
      stream.write(
        ` ${event.graph.latticeName}: ${run.done}/${run.total} tasks done, ${run.failed} failed, ${took}s\n`,
      );
    }
  });
  return () => {
    unsubscribe();
    if (live) bars.stop();
  };
}
