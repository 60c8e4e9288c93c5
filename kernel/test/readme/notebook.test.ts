// README.md's "In a notebook" block, run in the Valence kernel as written, a cell per statement, after
// the "Ten lines" block (which defines `ct` and `dataProcessing`): each cell gives what its comment says.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { KernelClient, outputData, type Execution } from "../support/kernel-client.js";
import { useDispatcher } from "../support/dispatcher.js";
import { validateDag } from "../support/schema.js";

useDispatcher();
const readme = readFileSync(join(import.meta.dirname, "..", "..", "..", "README.md"), "utf8");
const DAG = "application/vnd.valence.dag+json";
let kernel: KernelClient;

before(async () => {
  kernel = await KernelClient.start();
});
after(async () => {
  await kernel?.close();
});

/** The first ```ts block after the heading `## title`. */
function block(title: string): string {
  const section = readme.slice(readme.indexOf(`\n## ${title}\n`));
  const found = /```ts\n([\s\S]*?)```/.exec(section);
  assert.ok(found, title);
  return found[1]!;
}

/** A cell per statement: a line that starts with a comment continues the cell before it. */
function cells(code: string): string[] {
  const result: string[] = [];
  for (const line of code.trimEnd().split("\n"))
    if (line.startsWith("//") && result.length) result[result.length - 1] += `\n${line}`;
    else result.push(line);
  return result;
}

function ok(execution: Execution): Execution {
  assert.equal(execution.reply.status, "ok", JSON.stringify(execution.reply));
  return execution;
}

test('README "In a notebook": the DAG drawn, a dispatch shown and awaited, a MIME bundle displayed', async () => {
  ok(await kernel.execute(block("Ten lines")));
  const [draw, dispatch, show, wait, display, ...rest] = cells(block("In a notebook"));
  assert.deepEqual(rest, []);
  const drawn = ok(await kernel.execute(draw!));
  validateDag(outputData(drawn, "execute_result", DAG));
  assert.match(String(outputData(drawn, "execute_result", "image/svg+xml")), /^<svg/);
  ok(await kernel.execute(dispatch!));
  const handle = ok(await kernel.execute(show!));
  validateDag(outputData(handle, "display_data", DAG));
  const result = ok(await kernel.execute(wait!));
  const final = outputData(result, "execute_result", DAG) as { dispatch?: { status: string } };
  validateDag(final);
  assert.equal(final.dispatch?.status, "COMPLETED");
  const shown = ok(await kernel.execute(display!));
  assert.equal(outputData(shown, "display_data", "text/html"), "<b>hi</b>");
});
