// What the dispatcher keeps in memory for a client must end with the client's request or connection,
// not with the dispatch (issue 18's long fuzz run: flat memory). A client that polls a long dispatch
// with short waits leaves nothing behind for each poll.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as ct from "valence-workflows";
import { useDispatcher } from "../support/dispatcher.ts";
import { callDispatcher } from "../support/requests.ts";

const dispatcher = useDispatcher();

const sleep = ct.electron(async function sleep(ms: number): Promise<number> {
  await new Promise((r) => setTimeout(r, ms));
  return ms;
});

test("waits that time out on a running dispatch leave no waiter behind (a poll loop once kept one each)", async () => {
  const wf = ct.lattice(function long() {
    return sleep(60_000);
  });
  const id = `${await ct.dispatch(wf)()}`;
  const engine = dispatcher.current().engine;
  try {
    for (let i = 0; i < 300; i++) {
      const res = await callDispatcher(dispatcher.current(), "GET", `/api/v1/dispatches/${id}/wait?timeoutMs=1`);
      assert.equal(res.status, 200);
      assert.equal((res.body.dispatch as { status: string }).status, "RUNNING");
    }
    assert.equal(engine.waiting, 0, "waiters kept after 300 timed-out waits");
    // A wait that does not time out still ends with the dispatch.
    const waited = callDispatcher(dispatcher.current(), "GET", `/api/v1/dispatches/${id}/wait?timeoutMs=60000`);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(engine.waiting, 1);
    await ct.cancel(id);
    assert.equal(((await waited).body.dispatch as { status: string }).status, "CANCELLED");
    assert.equal(engine.waiting, 0);
  } finally {
    await ct.cancel(id).catch(() => undefined);
  }
});

test("waits for an unknown dispatch leave no timer behind", async () => {
  // Each 404 once left its timeout's timer (and an AbortController) pending for up to 5 minutes.
  const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
  const before = timers();
  for (let i = 0; i < 100; i++) {
    const res = await callDispatcher(dispatcher.current(), "GET", `/api/v1/dispatches/nope-${i}/wait?timeoutMs=60000`);
    assert.equal(res.status, 404);
  }
  assert.ok(timers() - before < 10, `${timers() - before} more timers pending after 100 waits for unknown ids`);
});

const add = ct.electron(function add(a: number, b: number) {
  return a + b;
});

test("a subscription made as the dispatch's last commit is written leaves nothing behind once it ends", async () => {
  // subscribe() commits what is queued before its snapshot; that commit can be the one that finishes
  // the run, which then dropped the dispatch's subscribers just before the new one was added for good.
  const engine = dispatcher.current().engine;
  for (let round = 0; round < 20; round++) {
    const wf = ct.lattice(function quick(x: number) {
      return add(add(x, 1), 2);
    });
    const id = `${await ct.dispatch(wf)(round)}`;
    // Subscribe at every turn of the event loop until the dispatch has finished (`running`: it is
    // the only one; asked without committing anything, unlike detail()).
    while (engine.running > 0) {
      const unsubscribe = engine.subscribe(id, () => undefined);
      unsubscribe();
      await new Promise((r) => setImmediate(r));
    }
  }
  assert.equal(engine.running, 0);
  assert.equal(engine.followed, 0, "dispatches still holding subscriber sets after all of them ended");
});
