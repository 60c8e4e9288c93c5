// The hostile-input fuzzer (issue 18): valid requests for every route and valid websocket messages,
// mutated structure-aware (support/mutate.ts), sent to a real dispatcher process. It must answer
// every one with a 2xx or a 4xx naming the problem — never a 500 —, store nothing it refused, and
// stay up with flat memory. VALENCE_HOSTILE_FUZZ=N sets the count per route (default 300; the long
// run is 10000), VALENCE_HOSTILE_FUZZ_SEED replays a seed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";
import * as ct from "valence-workflows";
import { Store } from "../../dist/dispatcher/store/store.js";
import { encodeValue } from "../../dist/workflow/transport.js";
import { temporaryDir } from "../support/dispatcher.ts";
import { mutate, seeded, type Random } from "../support/mutate.ts";
import { callDispatcher, dispatchBody } from "../support/requests.ts";

const cli = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));
const RUNS = Number(process.env.VALENCE_HOSTILE_FUZZ ?? 300);
const SEED = Number(process.env.VALENCE_HOSTILE_FUZZ_SEED ?? Date.now() % 2 ** 31);

const add = ct.electron(function add(a: number, b: number) {
  return a + b;
});
const pair = ct.electron(function pair(a: number) {
  return { v: a, list: [a, a + 1] };
});
const total = ct.electron(function total(xs: number[], o: { k: number }) {
  return xs.length + o.k;
});
const inner = ct.lattice(function inner(x: number) {
  return add(x, 1);
});
const sub = ct.electron(inner);
// Every node kind and edge kind: parameters, electrons, a sublattice, list, dict, getitem, getattr, wait.
const shapes = ct.lattice(function shapes(x: number) {
  const p = pair(x);
  const a = add(p.v, 2);
  const b = total([a, p.list[0]], { k: a });
  const c = add(x, 3);
  ct.wait(c, [b]);
  return { b, s: sub(c) };
});
const chain = ct.lattice(function chain(x: number) {
  return add(add(add(x, 1), 2), 3);
});

interface Dispatcher {
  readonly url: string;
  readonly token: string;
  readonly child: ChildProcess;
  readonly output: () => string;
}

async function startDispatcher(dataDir: string): Promise<Dispatcher> {
  const child = spawn(process.execPath, [cli, "start", "--foreground", "--data-dir", dataDir], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, VALENCE_DISPATCHER_URL: "" },
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

type Sent = { method: string; path: string; body?: unknown };

/** What each route is sent: a valid request, mutated. Path segments and query values are fields too. */
function routes(ids: string[], random: Random): Array<{ name: string; make: () => Sent; ok: number[] }> {
  const id = () => ids[Math.floor(random() * ids.length)]!;
  const segment = (value: unknown): string =>
    typeof value === "string" && value.startsWith("%") ? value : encodeURIComponent(String(value));
  const query = (q: Record<string, unknown>): string =>
    Object.entries(q)
      .map(([k, v]) => `${segment(k)}=${segment(v)}`)
      .join("&");
  const bodies = [dispatchBody(shapes as never, 4), dispatchBody(chain as never, 1)];
  const get = (template: (p: Record<string, unknown>) => string, valid: Record<string, unknown>) => () => {
    const { value } = mutate(valid, random);
    return { method: "GET", path: template(value) };
  };
  return [
    {
      name: "POST /api/v1/dispatches",
      make: () => ({
        method: "POST",
        path: "/api/v1/dispatches",
        body: mutate(bodies[Math.floor(random() * 2)]!, random).value,
      }),
      ok: [201, 400, 413],
    },
    {
      name: "POST /api/v1/dispatches/{id}/cancel",
      make: () => {
        const { value } = mutate({ id: id(), body: { nodeIds: [0, 1, 2] } }, random);
        return { method: "POST", path: `/api/v1/dispatches/${segment(value.id)}/cancel`, body: value.body };
      },
      ok: [200, 400, 404],
    },
    {
      name: "POST /api/v1/dispatches/{id}/redispatch",
      make: () => {
        const valid = { id: id(), body: { inputs: encodeValue([5], "inputs"), reusePreviousResults: true } };
        const { value } = mutate(valid, random);
        return { method: "POST", path: `/api/v1/dispatches/${segment(value.id)}/redispatch`, body: value.body };
      },
      ok: [201, 400, 404],
    },
    {
      name: "GET /api/v1/dispatches",
      make: get((p) => `/api/v1/dispatches?${query(p)}`, { limit: 5, parentId: id() }),
      ok: [200, 400],
    },
    {
      name: "GET /api/v1/dispatches/{id}",
      make: get((p) => `/api/v1/dispatches/${segment(p.id)}?${query({ nodes: p.nodes })}`, {
        id: id(),
        nodes: "columns",
      }),
      ok: [200, 400, 404],
    },
    {
      name: "GET /api/v1/dispatches/{id}/wait",
      make: get((p) => `/api/v1/dispatches/${segment(p.id)}/wait?${query({ timeoutMs: p.timeoutMs })}`, {
        id: id(),
        timeoutMs: 10,
      }),
      ok: [200, 400, 404],
    },
    {
      name: "GET /api/v1/dispatches/{id}/graph",
      make: get((p) => `/api/v1/dispatches/${segment(p.id)}/graph`, { id: id() }),
      ok: [200, 400, 404],
    },
    {
      name: "GET /api/v1/dispatches/{id}/nodes/{node}",
      make: get((p) => `/api/v1/dispatches/${segment(p.id)}/nodes/${segment(p.node)}`, { id: id(), node: 1 }),
      ok: [200, 400, 404],
    },
  ];
}

const rss = async (d: Dispatcher): Promise<number> =>
  ((await callDispatcher(d, "GET", "/api/v1/status")).body.memory as { rss: number }).rss;

test(`${RUNS} mutated requests per route and ${RUNS} websocket messages: never a 500, nothing refused is stored, the dispatcher stays up (seed ${SEED})`, async () => {
  const random = seeded(SEED);
  const dataDir = temporaryDir();
  let dispatcher = await startDispatcher(dataDir);
  const accepted = new Set<string>();
  try {
    // Finished dispatches for the routes that take an id.
    const ids: string[] = [];
    for (const body of [dispatchBody(shapes as never, 4), dispatchBody(chain as never, 1)]) {
      const res = await callDispatcher(dispatcher, "POST", "/api/v1/dispatches", body);
      assert.equal(res.status, 201, JSON.stringify(res.body));
      ids.push(res.body.dispatchId as string);
      accepted.add(res.body.dispatchId as string);
      const done = await callDispatcher(dispatcher, "GET", `/api/v1/dispatches/${ids.at(-1)}/wait?timeoutMs=20000`);
      assert.equal((done.body.dispatch as { status: string }).status, "COMPLETED", JSON.stringify(done.body));
    }
    const all = routes(ids, random);
    const counts: Record<string, Record<number, number>> = {};
    let rssStart = 0;
    const series: number[] = []; // MB, every tenth of the run
    for (let i = 0; i < RUNS; i++) {
      if (i === Math.min(50, RUNS - 1)) rssStart = await rss(dispatcher);
      if (i % Math.ceil(RUNS / 10) === 0) series.push(Math.round((await rss(dispatcher)) / 2 ** 20));
      for (const route of all) {
        const sent = route.make();
        const res = await callDispatcher(dispatcher, sent.method, sent.path, sent.body).catch((error: Error) => ({
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
        if (res.status === 201) accepted.add(res.body.dispatchId as string);
      }
    }
    // The websocket: mutated subscribe and unsubscribe messages on one connection.
    const ws = new WebSocket(`${dispatcher.url.replace("http", "ws")}/api/v1/events`, {
      headers: { authorization: `Bearer ${dispatcher.token}` },
    });
    await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
    let replies = 0;
    let errors = 0;
    ws.on("message", (data) => {
      replies++;
      if ((JSON.parse(data.toString()) as { type: string }).type === "error") errors++;
    });
    let closed = false;
    ws.once("close", () => (closed = true));
    for (let i = 0; i < RUNS; i++) {
      const valid =
        random() < 0.8
          ? { type: "subscribe", dispatchId: ids[i % ids.length]!, afterSeq: 0 }
          : { type: "unsubscribe", dispatchId: ids[i % ids.length]! };
      ws.send(JSON.stringify(mutate(valid, random).value));
      if (i % 100 === 99) await new Promise((r) => setTimeout(r, 5));
    }
    const deadline = Date.now() + 30_000;
    while (errors < RUNS / 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(!closed, "the websocket stayed open");
    ws.close();
    const rssEnd = await rss(dispatcher);
    const mb = (n: number) => Math.round(n / 2 ** 20);
    process.stderr.write(
      `hostile fuzz (seed ${SEED}): ${JSON.stringify(counts)}; websocket ${RUNS} sent, ${replies} replies (${errors} errors); ` +
        `${accepted.size} dispatches accepted; rss ${mb(rssStart)} MB after warm-up, ${mb(rssEnd)} MB at the end ` +
        `(every tenth: ${series.join(", ")} MB)\n`,
    );
    assert.equal(dispatcher.child.exitCode, null, "the dispatcher is still running");
    assert.ok(rssEnd - rssStart < 150 * 2 ** 20, `memory grew from ${mb(rssStart)} to ${mb(rssEnd)} MB`);
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
  dispatcher = undefined as never;
});
