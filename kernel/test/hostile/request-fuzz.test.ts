// The hostile-input fuzzer (issue 18): valid requests for every route and valid websocket messages,
// mutated structure-aware (support/mutate.ts), sent to a real dispatcher process (a real SQLite file).
// It must answer every one with a 2xx or a 4xx naming the problem — never a 500 —, store nothing it
// refused, and stay up with flat memory. The websocket messages go out between the requests, on
// connections that are replaced every WS_PER_CONNECTION messages, and ask for recently accepted
// (often still running) dispatches as well as finished ones.
// VALENCE_HOSTILE_FUZZ=N sets the count per route (default 300), VALENCE_HOSTILE_FUZZ_WS the websocket
// messages (default: N), VALENCE_HOSTILE_FUZZ_SEED replays a seed. The long run (`npm run
// fuzz:requests`, 10,000 of each) also sets VALENCE_HOSTILE_FUZZ_PROGRESS=1 and is judged on the
// dispatcher's heap after a forced GC (it runs with --expose-gc); VALENCE_HOSTILE_FUZZ_SNAPSHOTS=dir
// writes heap snapshots there after warm-up, halfway and at the end, to compare.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import WebSocket from "ws";
import { Store } from "#src/dispatcher/store/store.js";
import { temporaryDir } from "../support/dispatcher.ts";
import { mutate, seeded } from "../support/mutate.ts";
import { callDispatcher, dispatchBody } from "../support/requests.ts";
import { chain, outer, routes, shapes } from "./fuzz-routes.ts";
import { cliMain as cli } from "../support/built.ts";
import {
  heapSnapshot,
  mb,
  memory,
  memoryTrend,
  steadily,
  type Dispatcher,
  type MemorySample,
} from "./dispatcher-memory.ts";

const RUNS = Number(process.env.VALENCE_HOSTILE_FUZZ ?? 300);
const WS_RUNS = Number(process.env.VALENCE_HOSTILE_FUZZ_WS ?? RUNS);
const SEED = Number(process.env.VALENCE_HOSTILE_FUZZ_SEED ?? Date.now() % 2 ** 31);
const PROGRESS = process.env.VALENCE_HOSTILE_FUZZ_PROGRESS === "1";
const SNAPSHOTS = process.env.VALENCE_HOSTILE_FUZZ_SNAPSHOTS || undefined;
/** Judged flat only over a long run: a short one is mostly warm-up (JIT, caches, SQLite pages). */
const JUDGE_FLAT = RUNS >= 2000;
const WS_PER_CONNECTION = 500;
/** Longer than any answer may take (a wait is capped at 5 min, but every dispatch here ends in ms). */
const ANSWER_WITHIN_MS = 120_000;

async function startDispatcher(dataDir: string): Promise<Dispatcher> {
  // --expose-gc: `GET /api/v1/status?gc=1` then measures the heap after a full GC.
  const flags = ["--expose-gc", ...(SNAPSHOTS ? ["--heapsnapshot-signal=SIGUSR2"] : [])];
  const child = spawn(process.execPath, [...flags, cli, "start", "--foreground", "--data-dir", dataDir], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, VALENCE_DISPATCHER_URL: "" },
    ...(SNAPSHOTS ? { cwd: SNAPSHOTS } : {}), // where --heapsnapshot-signal writes
  });
  let output = "";
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("listening on")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`dispatcher exited (${code}): ${output}`)));
  });
  const info = JSON.parse(readFileSync(join(dataDir, "dispatcher.json"), "utf8")) as { url: string; token: string };
  return { url: info.url, token: info.token, child, output: () => output };
}

/** A websocket to the dispatcher, its replies counted; `settled` resolves once every message sent so far was handled. */
async function openEvents(d: Dispatcher, index: number) {
  const ws = new WebSocket(`${d.url.replace("http", "ws")}/api/v1/events`, {
    headers: { authorization: `Bearer ${d.token}` },
  });
  await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
  const state = { replies: 0, errors: 0, closed: false };
  const sentinels = new Map<string, () => void>();
  ws.on("message", (data) => {
    state.replies++;
    const message = JSON.parse(data.toString()) as { type: string; dispatchId?: string };
    if (message.type !== "error") return;
    state.errors++;
    if (message.dispatchId !== undefined) sentinels.get(message.dispatchId)?.();
  });
  ws.once("close", () => (state.closed = true));
  let n = 0;
  return {
    ws,
    state,
    /** Messages are handled in order: the reply to an unknown id sent last means all before it were. */
    settled: async (): Promise<void> => {
      const id = `sentinel-${index}-${n++}`;
      const answered = new Promise<void>((resolve) => sentinels.set(id, resolve));
      ws.send(JSON.stringify({ type: "subscribe", dispatchId: id }));
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>(
        (_, reject) =>
          (timer = setTimeout(() => reject(new Error("the websocket did not answer within 60 s")), 60_000)),
      );
      await Promise.race([answered, late]).finally(() => clearTimeout(timer));
      sentinels.delete(id);
    },
  };
}

test(`${RUNS} mutated requests per route and ${WS_RUNS} websocket messages: never a 500, nothing refused is stored, the dispatcher stays up${JUDGE_FLAT ? " with flat memory" : ""} (seed ${SEED})`, async () => {
  const random = seeded(SEED);
  if (PROGRESS) process.stderr.write(`fuzz: seed ${SEED} (--seed ${SEED} replays it)\n`);
  const dataDir = temporaryDir();
  const startedAt = Date.now();
  const dispatcher = await startDispatcher(dataDir);
  const accepted = new Set<string>();
  const counts: Record<string, Record<number, number>> = {};
  const samples: MemorySample[] = [];
  const ws = { sent: 0, replies: 0, errors: 0, connections: 0 };
  try {
    // Finished dispatches for the routes that take an id; recently accepted ones join them below.
    const finished: string[] = [];
    for (const body of [dispatchBody(shapes as never, 4), dispatchBody(chain as never, 1)]) {
      const res = await callDispatcher(dispatcher, "POST", "/api/v1/dispatches", body);
      assert.equal(res.status, 201, JSON.stringify(res.body));
      finished.push(res.body.dispatchId as string);
      accepted.add(res.body.dispatchId as string);
      const done = await steadily(dispatcher, "GET", `/api/v1/dispatches/${finished.at(-1)}/wait?timeoutMs=20000`);
      assert.equal((done.body.dispatch as { status: string }).status, "COMPLETED", JSON.stringify(done.body));
    }
    // A sublattice whose body makes an electron: the dispatcher serializes a function nobody
    // instrumented, and loads the parser for its free-variable check (~27 MB of heap, once;
    // serialize.ts). Done here, not by whichever mutated request first does it, where it read as growth.
    const warm = await callDispatcher(dispatcher, "POST", "/api/v1/dispatches", dispatchBody(outer as never, 2));
    assert.equal(warm.status, 201, JSON.stringify(warm.body));
    accepted.add(warm.body.dispatchId as string);
    const warmed = await steadily(
      dispatcher,
      "GET",
      `/api/v1/dispatches/${warm.body.dispatchId as string}/wait?timeoutMs=20000`,
    );
    assert.equal((warmed.body.dispatch as { status: string }).status, "COMPLETED", JSON.stringify(warmed.body));
    const ids = [...finished];
    const recent: string[] = [];
    const all = routes(ids, recent, random);
    const sampleEvery = Math.max(1, Math.floor(RUNS / 40));
    const progressEvery = Math.max(1, Math.floor(RUNS / 20));
    const warmedUp = Math.floor(RUNS / 10);

    let events = await openEvents(dispatcher, ws.connections++);
    const rotate = async (): Promise<void> => {
      await events.settled();
      assert.ok(!events.state.closed, "the websocket stayed open");
      ws.replies += events.state.replies;
      ws.errors += events.state.errors;
      events.ws.close();
    };
    const sendMessage = async (): Promise<void> => {
      const dispatchId = ids[Math.floor(random() * ids.length)]!;
      const roll = random();
      // Subscribe from a seq (a reconnect), subscribe for a snapshot, or unsubscribe.
      const valid =
        roll < 0.4
          ? { type: "subscribe", dispatchId, afterSeq: 0 }
          : roll < 0.8
            ? { type: "subscribe", dispatchId }
            : { type: "unsubscribe", dispatchId };
      events.ws.send(JSON.stringify(mutate(valid, random).value));
      ws.sent++;
      if (ws.sent % WS_PER_CONNECTION === 0 && ws.sent < WS_RUNS) {
        await rotate();
        events = await openEvents(dispatcher, ws.connections++);
      } else if (ws.sent % 100 === 0) await events.settled(); // let the dispatcher keep up
    };

    for (let i = 0; i < RUNS; i++) {
      if (i % sampleEvery === 0) samples.push(await memory(dispatcher, i));
      if (SNAPSHOTS && i === warmedUp) await heapSnapshot(dispatcher, SNAPSHOTS, "after warm-up");
      // Halfway too: caches that fill during the first half then show as growth against warm-up only.
      if (SNAPSHOTS && i === Math.floor(RUNS / 2)) await heapSnapshot(dispatcher, SNAPSHOTS, "halfway");
      if (PROGRESS && i > 0 && i % progressEvery === 0) {
        const last = samples.at(-1)!;
        process.stderr.write(
          `fuzz: ${i}/${RUNS} per route, ${ws.sent}/${WS_RUNS} websocket messages, ${accepted.size} dispatches accepted, ` +
            `${Math.round((Date.now() - startedAt) / 1000)} s; heap after GC ${mb(last.heapUsed)} MB, rss ${mb(last.rss)} MB, ${last.running} running\n`,
        );
      }
      // Connections come and go too: a quarter of the requests close theirs, and every eighth round
      // one comes without the token, so per-connection state (connection-limits.ts) is churned.
      if (i % 8 === 7) {
        const refused = await steadily(dispatcher, "GET", "/api/v1/dispatches", undefined, {
          authorization: "Bearer not-the-token",
          connection: "close",
        });
        assert.equal(refused.status, 401);
      }
      for (const route of all) {
        const sent = route.make();
        const res = await callDispatcher(
          dispatcher,
          sent.method,
          sent.path,
          sent.body,
          random() < 0.25 ? { connection: "close" } : {},
          AbortSignal.timeout(ANSWER_WITHIN_MS),
        ).catch((error: Error): Awaited<ReturnType<typeof callDispatcher>> => ({
          status: 0,
          body: { error: `no answer: ${error.message}` },
        }));
        const tally = (counts[route.name] ??= {});
        tally[res.status] = (tally[res.status] ?? 0) + 1;
        assert.ok(
          route.ok.includes(res.status) || res.status === 431,
          `${route.name} answered ${res.status} ${JSON.stringify(res.body).slice(0, 300)} to ${sent.method} ${sent.path.slice(0, 200)} ${JSON.stringify(sent.body)?.slice(0, 300)} (seed ${SEED}, run ${i})`,
        );
        // 431: Node's own refusal of a URL over its header limit (16 KB), before any handler.
        if (res.status >= 400 && res.status !== 431) {
          assert.ok(res.body.error && res.body.error.length > 0, "a 4xx names the problem");
        }
        if (res.status === 200 && route.name === "POST /api/v1/delete") {
          for (const gone of res.body.deleted as string[]) {
            accepted.delete(gone);
            if (recent.includes(gone)) recent.splice(recent.indexOf(gone), 1);
          }
          ids.splice(0, ids.length, ...finished, ...recent);
        }
        if (res.status === 201) {
          const id = res.body.dispatchId as string;
          accepted.add(id);
          recent.push(id);
          if (recent.length > 6) recent.shift();
          ids.splice(0, ids.length, ...finished, ...recent);
        }
      }
      // The websocket messages are spread over the rounds.
      while (ws.sent < Math.floor((WS_RUNS * (i + 1)) / RUNS)) await sendMessage();
    }
    while (ws.sent < WS_RUNS) await sendMessage();
    await rotate();
    // What was accepted last may still run: the end is measured once it has finished.
    for (const id of recent) await steadily(dispatcher, "GET", `/api/v1/dispatches/${id}/wait?timeoutMs=60000`);
    samples.push(await memory(dispatcher, RUNS));
    if (SNAPSHOTS) await heapSnapshot(dispatcher, SNAPSHOTS, "at the end");
    const trend = memoryTrend(samples, RUNS);
    const seconds = Math.round((Date.now() - startedAt) / 1000);
    process.stderr.write(
      `hostile fuzz (seed ${SEED}): ${RUNS} requests per route (${RUNS * all.length} in all) and ${ws.sent} websocket messages ` +
        `on ${ws.connections} connections (${ws.replies} replies, ${ws.errors} errors) in ${seconds} s; ` +
        `${accepted.size} dispatches accepted; ${JSON.stringify(counts)}\n` +
        `memory after GC: heap ${mb(samples[0]!.heapUsed)} MB at the start, ${mb(trend.heapFirst)} MB in the first quarter ` +
        `after warm-up, ${mb(trend.heapLast)} MB in the last, ${mb(samples.at(-1)!.heapUsed)} MB at the end; ` +
        `external ${mb(samples[0]!.external)} → ${mb(trend.externalFirst)} → ${mb(trend.externalLast)} → ${mb(samples.at(-1)!.external)} MB; ` +
        `rss ${mb(samples[0]!.rss)} → ${mb(trend.rssFirst)} → ${mb(trend.rssLast)} → ${mb(samples.at(-1)!.rss)} MB; ` +
        `${trend.flat ? "flat" : "NOT flat"} (bound ${mb(trend.bound)} MB)\n` +
        `heap after GC, every ${sampleEvery} rounds: ${samples.map((s) => mb(s.heapUsed)).join(" ")} MB\n` +
        `rss, every ${sampleEvery} rounds: ${samples.map((s) => Math.round(s.rss / 2 ** 20)).join(" ")} MB\n`,
    );
    assert.equal(dispatcher.child.exitCode, null, "the dispatcher is still running");
    // A ceiling, not flatness (see memoryTrend): from the first quarter after warm-up to the end.
    assert.ok(
      samples.at(-1)!.rss - trend.rssFirst < 150 * 2 ** 20,
      `rss grew from ${mb(trend.rssFirst)} to ${mb(samples.at(-1)!.rss)} MB`,
    );
    if (JUDGE_FLAT) {
      assert.ok(
        trend.flat,
        `the heap after GC grew from ${mb(trend.heapFirst)} to ${mb(trend.heapLast)} MB (bound ${mb(trend.bound)} MB)`,
      );
    }
  } finally {
    dispatcher.child.kill("SIGTERM");
    await new Promise((resolve) =>
      dispatcher.child.exitCode !== null ? resolve(0) : dispatcher.child.once("exit", resolve),
    );
  }
  // What was stored is exactly what was accepted (a sublattice's child dispatches aside).
  const store = Store.open(dataDir);
  try {
    const stored = store.listDispatches({ limit: 10_000_000 }).filter((d) => d.parentId === undefined);
    assert.deepEqual(new Set(stored.map((d) => d.id)), accepted);
  } finally {
    store.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
