// The Valence kernel as Jupyter runs it: Jupyter's own conformance suite, then what users do in
// cells — electrons across cells, dispatch from a cell with functions travelling by value, live
// display updates, a responsive kernel while a dispatch runs, interrupts and kernel restarts.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { KernelClient, outputData } from "../support/kernel-client.js";
import { temporaryDir, useDispatcher } from "../support/dispatcher.js";
import { validateDag } from "../support/schema.js";
import { readTokenFor } from "#src/shared/runtime-file.js";

useDispatcher();
let kernel: KernelClient;

before(async () => {
  kernel = await KernelClient.start();
});
after(async () => {
  await kernel?.close();
});

test("Jupyter's kernel conformance suite (jupyter_kernel_test) passes against the Valence kernel", () => {
  const dataDir = temporaryDir("valence-jupyter-");
  const cli = join(import.meta.dirname, "..", "..", "dist", "cli", "main.js");
  const installed = spawnSync(process.execPath, [cli, "install", "--data-dir", dataDir, "--no-extension"], {
    encoding: "utf8",
  });
  assert.equal(installed.status, 0, installed.stderr);
  const run = spawnSync("/usr/bin/python3", ["-m", "unittest", "-v", "kernel_conformance"], {
    cwd: import.meta.dirname,
    env: { ...process.env, JUPYTER_PATH: dataDir, JUPYTER_DATA_DIR: dataDir, PYDEVD_DISABLE_FILE_VALIDATION: "1" },
    encoding: "utf8",
    timeout: 180_000,
  });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stderr, /Ran 12 tests/);
  assert.match(run.stderr, /OK \(skipped=1\)/, "only the pager is skipped");
});

test("a cell's last value is an execute_result; a lattice drawn in a cell is a DAG bundle with an SVG", async () => {
  const sum = await kernel.execute("const a: number = 20;\na + 22");
  assert.equal(sum.reply.status, "ok");
  assert.equal(outputData(sum, "execute_result"), "42");
  const drawn = await kernel.execute(
    'import * as ct from "valence-workflows";\n' +
      "const double = ct.electron(function double(x: number) { return x * 2; });\n" +
      "const pair = ct.lattice(function pair(n: number) { return [double(n), double(double(n))]; });\n" +
      "pair.draw(3)",
  );
  assert.equal(drawn.reply.status, "ok", JSON.stringify(drawn.reply));
  const dag = outputData(drawn, "execute_result", "application/vnd.valence.dag+json") as {
    nodes: Array<{ kind: string }>;
  };
  validateDag(dag);
  assert.equal(dag.nodes.filter((n) => n.kind === "electron").length, 3);
  assert.match(String(outputData(drawn, "execute_result", "image/svg+xml")), /^<svg[\s\S]*<\/svg>\s*$/);
  assert.match(String(outputData(drawn, "execute_result")), /pair/);
});

test("errors: a type error names the cell line; a thrown error keeps its name and message", async () => {
  const typeError = await kernel.execute("const ok = 1;\nconst s: string = 5;");
  assert.equal(typeError.reply.status, "error");
  assert.equal(typeError.reply.ename, "TypeScript");
  assert.match(String(typeError.reply.evalue), /line 2, column 7: Type 'number' is not assignable to type 'string'/);
  const error = typeError.outputs.find((m) => m.header.msg_type === "error");
  assert.ok(error, "an iopub error message is published");
  const thrown = await kernel.execute('class Oops extends Error { name = "Oops" }\nthrow new Oops("it broke")');
  assert.equal(thrown.reply.ename, "Oops");
  assert.equal(thrown.reply.evalue, "it broke");
  const traceback = thrown.reply.traceback as string[];
  assert.ok(!traceback.some((line) => /node:internal|node:vm|tslab/.test(line)), traceback.join("\n"));
  assert.match(traceback[1]!, /^\s+at cell \[\d+\]:2:7$/, "frames name the cell, at its own line and column");
  // valence's own types reach the cell: a future used as a value is a type error naming it.
  const futureMisuse = await kernel.execute(
    'import * as ct from "valence-workflows";\nconst inc = ct.electron((n: number) => n + 1);\n' +
      "ct.lattice((n: number) => { const x: number = inc(n); return x; });",
  );
  assert.match(String(futureMisuse.reply.evalue), /line 3, column \d+: Type 'FutureHandle<number>' is not assignable/);
  const code = 'import * as ct from "valence-workflows";\nct.elec';
  const completion = await kernel.request("complete_request", { code, cursor_pos: code.length });
  assert.ok((completion.content.matches as string[]).includes("electron"));
  // The next cell still runs (no silent abort after an error).
  assert.equal(outputData(await kernel.execute("1 + 1"), "execute_result"), "2");
});

test("dispatch from cells: functions from earlier cells travel by value, and the display follows the run", async () => {
  await kernel.execute(
    'import * as ct from "valence-workflows";\nconst base = 10;\nfunction scale(x: number) { return x * base; }',
  );
  await kernel.execute("const work = ct.electron(function work(x: number) { return scale(x) + 1; });");
  await kernel.execute("const flow = ct.lattice(function flow(n: number) { return [work(n), work(n + 1)]; });");
  const dispatched = await kernel.execute("const run = await ct.dispatch(flow)(2);\nrun");
  assert.equal(dispatched.reply.status, "ok", JSON.stringify(dispatched.reply));
  const shown = dispatched.outputs.find((m) => m.header.msg_type === "display_data");
  assert.ok(shown, "a dispatch handle displays as display_data (it is updated later)");
  const displayId = (shown.content.transient as { display_id: string }).display_id;
  assert.ok(displayId);
  const data = shown.content.data as Record<string, unknown>;
  validateDag(data["application/vnd.valence.dag+json"]);
  const result = await kernel.execute("(await ct.getResult(run, { wait: true })).result");
  assert.equal(outputData(result, "execute_result"), "[ 21, 31 ]");
  // The kernel redraws the output with the final statuses, so a saved notebook shows the outcome.
  const final = await kernel.waitFor(
    (m) =>
      m.header.msg_type === "update_display_data" &&
      (m.content.transient as { display_id?: string }).display_id === displayId &&
      (m.content.data as Record<string, { dispatch?: { status: string } }>)["application/vnd.valence.dag+json"]
        ?.dispatch?.status === "COMPLETED",
  );
  const dag = (final.content.data as Record<string, { nodes: Array<{ kind: string; status?: string }> }>)[
    "application/vnd.valence.dag+json"
  ]!;
  validateDag(dag);
  assert.ok(dag.nodes.filter((n) => n.kind === "electron").every((n) => n.status === "COMPLETED"));

  // Redefining an electron in a later cell: a lattice built afterwards uses the new definition.
  await kernel.execute("const work = ct.electron(function work(x: number) { return -x; });");
  const again = await kernel.execute("(await ct.getResult(await ct.dispatch(flow)(2), { wait: true })).result");
  assert.equal(outputData(again, "execute_result"), "[ -2, -3 ]");
});

test("one live route: with the extension attached the kernel sends only the final redraw, without it it also redraws while the dispatch runs", async () => {
  await kernel.execute(
    'import * as ct from "valence-workflows";\n' +
      "const nap = ct.electron(async function nap(x: number) { await new Promise((r) => setTimeout(r, 400)); return x + 1; });\n" +
      "const naps = ct.lattice(function naps(x: number) { return nap(nap(nap(x))); });",
  );
  /** Dispatches `naps` and returns the statuses of the kernel's redraws of its output, the final one last. */
  const redraws = async (): Promise<string[]> => {
    const shown = (await kernel.execute("await ct.dispatch(naps)(1)")).outputs.find(
      (m) => m.header.msg_type === "display_data",
    );
    const displayId = (shown!.content.transient as { display_id: string }).display_id;
    const mine = (m: (typeof kernel.published)[number]): boolean =>
      m.header.msg_type === "update_display_data" &&
      (m.content.transient as { display_id?: string }).display_id === displayId;
    const statusOf = (m: (typeof kernel.published)[number]): string | undefined =>
      (m.content.data as Record<string, { dispatch?: { status: string } }>)["application/vnd.valence.dag+json"]
        ?.dispatch?.status;
    await kernel.waitFor((m) => mine(m) && statusOf(m) === "COMPLETED");
    return kernel.published.filter(mine).map((m) => statusOf(m) ?? "?");
  };
  const alone = await redraws();
  assert.ok(alone.length >= 2 && alone.at(-1) === "COMPLETED", `without the extension: ${alone}`);
  const commId = "live-route";
  await kernel.send("comm_open", { comm_id: commId, target_name: "valence.dispatcher", data: {} });
  try {
    assert.deepEqual(await redraws(), ["COMPLETED"], "with the extension attached: the final redraw only");
  } finally {
    await kernel.send("comm_close", { comm_id: commId, data: {} });
  }
});

test('cells holding the package (`const ct2 = await import("valence-workflows")`) and electrons in an array dispatch', async () => {
  await kernel.execute('const ct2 = await import("valence-workflows");\nconst fs = require("node:fs");');
  await kernel.execute(
    "const where = ct2.electron(function where(x: number) { return [x, typeof ct2.taskContext().nodeId, typeof fs.existsSync]; });\n" +
      "const inc = ct2.electron(function inc(x: number) { return x + 1; });\n" +
      "const steps = [inc, where];",
  );
  const result = await kernel.execute(
    "const chain = ct2.lattice(function chain(x: number) { let v: any = x; for (const step of steps) v = step(v); return v; });\n" +
      "const done = await ct2.dispatchSync(chain)(1);\n[done.status, done.result]",
  );
  assert.equal(result.reply.status, "ok", JSON.stringify(result.reply));
  assert.equal(outputData(result, "execute_result"), "[ 'COMPLETED', [ 2, 'number', 'function' ] ]");
});

test("the kernel stays responsive while a dispatch runs, and an interrupt ends a waiting cell", async () => {
  await kernel.execute(
    'import * as ct from "valence-workflows";\n' +
      "const slow = ct.electron(async function slow() { await new Promise((r) => setTimeout(r, 2000)); return 1; });\n" +
      "const slowFlow = ct.lattice(function slowFlow() { return slow(); });\n" +
      "const slowRun = await ct.dispatch(slowFlow)();",
  );
  const started = Date.now();
  assert.equal(outputData(await kernel.execute("1 + 2"), "execute_result"), "3");
  assert.ok(Date.now() - started < 1500, "another cell ran while the dispatch was running");
  const waiting = kernel.execute("await new Promise((r) => setTimeout(r, 60_000))");
  await new Promise((r) => setTimeout(r, 500));
  kernel.process.kill("SIGINT");
  const interrupted = await waiting;
  assert.equal(interrupted.reply.status, "error");
  assert.equal(interrupted.reply.ename, "Interrupted");
  assert.equal(
    outputData(await kernel.execute("(await ct.getResult(slowRun, { wait: true })).status"), "execute_result"),
    "'COMPLETED'",
  );
});

test("a kernel restart does not lose a dispatch; the extension learns the dispatcher through a comm", async () => {
  const first = await KernelClient.start();
  const dispatched = await first.execute(
    'import * as ct from "valence-workflows";\n' +
      "const nap = ct.electron(async function nap(x: number) { await new Promise((r) => setTimeout(r, 800)); return x * 3; });\n" +
      "`${await ct.dispatch(ct.lattice(function napping(x: number) { return nap(x); }))(7)}`",
  );
  const id = String(outputData(dispatched, "execute_result")).replace(/'/g, "");
  first.process.kill("SIGKILL");
  await first.close();
  const second = await KernelClient.start();
  try {
    const result = await second.execute(
      `(await (await import("valence-workflows")).getResult("${id}", { wait: true })).result`,
    );
    assert.equal(outputData(result, "execute_result"), "21", JSON.stringify(result));
    const commId = "c0ffee";
    await second.send("comm_open", { comm_id: commId, target_name: "valence.dispatcher", data: {} });
    const message = await second.waitFor(
      (m) => m.header.msg_type === "comm_msg" && (m.content as { comm_id?: string }).comm_id === commId,
    );
    const data = message.content.data as { url: string; readToken: string; token?: string };
    assert.equal(data.url, process.env.VALENCE_DISPATCHER_URL);
    // The browser gets the read credential, never the token that can start or cancel work.
    assert.equal(data.token, undefined);
    assert.equal(data.readToken, readTokenFor(process.env.VALENCE_DISPATCHER_TOKEN!));
    const watch = await fetch(`${data.url}/api/v1/dispatches/${id}?token=${data.readToken}`);
    assert.equal(watch.status, 200);
    await second.send("comm_msg", { comm_id: commId, data: { type: "cancel", dispatchId: "no-such", requestId: 1 } });
    const refused = await second.waitFor(
      (m) => m.header.msg_type === "comm_msg" && (m.content.data as { requestId?: number }).requestId === 1,
    );
    assert.match(String((refused.content.data as { message: string }).message), /cannot cancel no-such/);
    // A request that is not one (KernelCommRequest of protocol.schema.json) gets an error naming the forms.
    await second.send("comm_msg", { comm_id: commId, data: { type: "cancel", dispatchId: 5, requestId: 2 } });
    const malformed = await second.waitFor(
      (m) => m.header.msg_type === "comm_msg" && (m.content.data as { requestId?: number }).requestId === 2,
    );
    assert.deepEqual(Object.keys(malformed.content.data as object).sort(), ["message", "requestId", "type"]);
    assert.match(String((malformed.content.data as { message: string }).message), /\{type: "cancel", dispatchId/);
  } finally {
    await second.close();
  }
});
