// A timeout past Node's timer limit (2^31 - 1 ms, ~24.8 days) is honoured (issue 18): an electron
// with a 30-day timeout once failed after ~1 ms as "timed out".
import { test } from "node:test";
import assert from "node:assert/strict";
import * as ct from "valence-workflows";
import { setLongTimeout } from "#src/shared/long-timeout.js";
import { useDispatcher } from "../support/dispatcher.ts";

useDispatcher();

const THIRTY_DAYS = 30 * 24 * 3600 * 1000;

const slow = ct.electron(
  async function slow(x: number) {
    await new Promise((r) => setTimeout(r, 200));
    return x + 1;
  },
  { timeoutMs: THIRTY_DAYS },
);
const flow = ct.lattice(function flow(x: number) {
  return slow(x);
});

test("an electron with a 30-day timeout runs to its end on the dispatcher", async () => {
  const result = await ct.dispatchSync(flow)(1);
  assert.equal(result.status, "COMPLETED", JSON.stringify(result.error));
  assert.equal(result.result, 2);
});

test("an electron with a 30-day timeout runs to its end in runLocal", async () => {
  assert.equal(await ct.runLocal(flow)(1), 2);
});

test("a long timeout still fires: one of 2^31 ms is not due after 50 ms, one of 30 ms is", async () => {
  let fired = 0;
  const long = setLongTimeout(() => fired++, 2 ** 31);
  await new Promise((r) => setTimeout(r, 50));
  long.clear();
  assert.equal(fired, 0);
  await new Promise<void>((resolve) => setLongTimeout(resolve, 30));
});
