// Shell tasks (ct.shell) through a real dispatcher: the command's stdout is the output (text, lines,
// JSON), its writes are the node's logs, arguments arrive as $1, $2… unparsed, a failure names the
// exit code and the end of stderr, a timeout ends the command's processes, and a stored shell
// electron runs again on redispatch (it travels by value like any electron).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as ct from "valence-workflows";
import { eventually, temporaryDir, useDispatcher } from "../support/dispatcher.ts";

/** The node of `result` whose electron is named `name`. */
async function nodeNamed(result: ct.Result, name: string): Promise<ct.NodeResult> {
  for (const { id } of result.nodes) {
    const node = await result.getNodeResult(id);
    if (node.name === name) return node;
  }
  assert.fail(`no node named ${name}`);
}

useDispatcher();

const greet = ct.shell('printf "%s and %s\\n" "$1" "$2"; echo "to stderr" >&2');
const count = ct.shell('printf "a\\nb\\nc\\n"', { output: "lines", name: "three" });
const stats = ct.shell<{ n: number; ok: boolean }>('echo "{\\"n\\": $1, \\"ok\\": true}"', { output: "json" });
const shout = ct.electron(function shout(text: string, lines: string[], json: { n: number }) {
  return `${text.toUpperCase()} ${lines.length} ${json.n}`;
});
const mixed = ct.lattice(function mixed(a: string, b: string) {
  return shout(greet(a, b), count(), stats(7));
});

test("a shell electron's stdout is its output, as text, lines or JSON, and its writes are its logs", async () => {
  const result = await ct.dispatchSync(mixed)("salt", "; rm -rf / #");
  assert.equal(result.status, "COMPLETED", String(result.error?.message));
  assert.equal(result.result, "SALT AND ; RM -RF / # 3 7", "arguments reach the command as they are");
  const detail = await nodeNamed(result, "printf");
  assert.equal(detail.output, "salt and ; rm -rf / #");
  assert.deepEqual(
    detail.logs.map((l) => [l.stream, l.text.trim()]),
    [
      ["stdout", "salt and ; rm -rf / #"],
      ["stderr", "to stderr"],
    ],
  );
  assert.deepEqual((await nodeNamed(result, "three")).output, ["a", "b", "c"], "named by `name`");
  const again = await ct.getResult(await ct.redispatch(result.dispatchId)("pepper", "x"), { wait: true });
  assert.equal(again.result, "PEPPER AND X 3 7", "a stored shell electron runs again");
});

test("a failing command fails its node with the exit code and the end of stderr", async () => {
  const broken = ct.shell('echo "working…"; echo "first problem" >&2; echo "disk full" >&2; exit 3');
  const result = await ct.dispatchSync(ct.lattice(() => broken(), { name: "broken" }))();
  assert.equal(result.status, "FAILED");
  const node = await nodeNamed(result, "echo");
  assert.equal(node.error?.name, "ShellError");
  assert.match(node.error!.message, /exited with code 3; stderr ends:\nfirst problem\ndisk full$/);
  const missing = ct.shell("no-such-program-valence");
  const gone = await ct.dispatchSync(ct.lattice(() => missing(), { name: "missing" }))();
  assert.match(gone.error!.message, /exited with code 127; stderr ends:\n.*no-such-program-valence.*not found/);
  const killed = ct.shell('echo "going" >&2; kill -KILL $$', { name: "killed" });
  const gone9 = await ct.dispatchSync(ct.lattice(() => killed(), { name: "killed" }))();
  assert.match(gone9.error!.message, /`echo "going" >&2; kill -KILL \$\$` was killed by SIGKILL; stderr ends:\ngoing$/);
  const notJson = ct.shell("echo not json", { output: "json" });
  const bad = await ct.dispatchSync(ct.lattice(() => notJson(), { name: "notJson" }))();
  assert.match(bad.error!.message, /the output of `echo not json` is not JSON: Unexpected token/);
});

test("a command past its electron's timeout is ended, with the processes it started", async () => {
  const dir = temporaryDir("valence-shell-");
  const pids = join(dir, "pids");
  const slow = ct.shell('sleep 30 & echo "$$ $!" > "$1"; wait', { timeoutMs: 1500, name: "slow" });
  const result = await ct.dispatchSync(ct.lattice((file: string) => slow(file), { name: "slow" }))(pids);
  assert.equal(result.status, "FAILED");
  assert.match(result.error!.message, /timed out|timeout/i);
  const [shellPid, sleepPid] = readFileSync(pids, "utf8").trim().split(" ").map(Number);
  // A zombie (ended, not yet reaped by whoever adopted it) counts as ended.
  const alive = (pid: number): boolean => {
    try {
      return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
    } catch {
      return false;
    }
  };
  await eventually(() => (!alive(shellPid!) && !alive(sleepPid!) ? true : undefined), 10_000);
});

test("shell() refuses what is not a command line", () => {
  assert.throws(() => ct.shell(""), /shell\(\) takes a command line/);
  assert.throws(() => ct.shell("ls", { output: "yaml" as "text" }), /output is "text", "lines" or "json", not "yaml"/);
});
