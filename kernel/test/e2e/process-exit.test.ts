// What a user saw when an electron called process.exit() on the default local executor: the short
// electrons its worker had run just before it (their outcomes held for a packed reply) ran again on
// another worker, their side effects twice. The exiting electron fails that attempt and is retried.
import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as ct from "valence-workflows";
import { temporaryDir, useDispatcher } from "../support/dispatcher.ts";

useDispatcher();

const note = ct.electron(function note(log: string, i: number) {
  appendFileSync(log, `${i}\n`);
  return i;
});
const quit = ct.electron(
  function quit(log: string) {
    appendFileSync(log, "quit\n");
    if (ct.taskContext().attempt === 1) process.exit(3);
    return "retried";
  },
  { retries: 1 },
);

test("an electron that calls process.exit() beside short electrons: each of them runs once, and it is retried", async () => {
  for (let round = 0; round < 5; round++) {
    const log = join(temporaryDir(), "log");
    const wf = ct.lattice(function exitAmongShortOnes(log: string) {
      const before = Array.from({ length: 12 }, (_, i) => note(log, i));
      const quitting = quit(log);
      const afterwards = Array.from({ length: 12 }, (_, i) => note(log, 100 + i));
      return [before, quitting, afterwards];
    });
    const result = await ct.dispatchSync(wf)(log);
    assert.equal(result.status, "COMPLETED", String(result));
    const lines = readFileSync(log, "utf8").trim().split("\n");
    const counts = new Map<string, number>();
    for (const line of lines) counts.set(line, (counts.get(line) ?? 0) + 1);
    assert.equal(counts.get("quit"), 2, "its first attempt ended the worker, its retry completed");
    const twice = [...counts].filter(([line, n]) => line !== "quit" && n > 1).map(([line]) => line);
    assert.deepEqual(twice, [], `round ${round}: electrons that ran twice`);
    const attempts = result.nodes.filter((n) => n.attempts > 0).map((n) => n.attempts);
    assert.deepEqual(attempts.sort(), [...Array<number>(24).fill(1), 2], "attempts recorded: once each, quit twice");
  }
});
