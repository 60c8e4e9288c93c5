import { test } from "node:test";
import assert from "node:assert/strict";
import { deserialize } from "node:v8";
import * as ct from "valence-workflows";
import { InlineExecutor } from "#src/executors/index.js";
import { executorConformance, taskSpecFor } from "#src/testing/index.js";

executorConformance("inline", () => new InlineExecutor({ concurrency: 4 }), { stopsSyncCode: false });

const shout = ct.electron(function shout(text: string) {
  console.log(text.toUpperCase());
  return text.length;
});

test("inline capacity comes from its options", () => {
  const executor = new InlineExecutor({ concurrency: 3, memoryMB: 512 });
  assert.deepEqual(executor.capacity, { cpus: 3, memoryMB: 512, gpus: 0 });
});

test("writes made outside an inline task while it runs are not its logs", async () => {
  const executor = new InlineExecutor();
  const outside = "from the dispatcher\n";
  const seen: string[] = [];
  const previous = process.stdout.write;
  // A spy over whatever write is in place (the capture's, if an earlier test left a task running).
  process.stdout.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
    seen.push(String(chunk));
    return chunk === outside ? true : (previous as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  } as typeof process.stdout.write;
  try {
    const pending = executor.submit(taskSpecFor(shout, ["quiet"]), new AbortController().signal);
    process.stdout.write(outside);
    const outcome = await pending;
    assert.ok(outcome.ok && deserialize(outcome.output) === 5);
    assert.deepEqual(
      outcome.logs.map((l) => l.text),
      ["QUIET\n"],
    );
    assert.ok(seen.includes(outside));
  } finally {
    process.stdout.write = previous;
    await executor.close();
  }
});
