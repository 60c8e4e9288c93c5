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
