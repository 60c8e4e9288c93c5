// README.md's "Scale out" steps, run as written on one machine with real stand-ins for the remote
// ones: `redis-host` is 127.0.0.1 and port 6379 a free port (Debian's redis-server, which
// scripts/test.mjs installs, so the `sudo apt-get install` line is the one line not run); the two
// `valence worker` lines run as two processes; then `npx valence run examples/scale-out.ts` (step 4),
// and step 4's TypeScript fragment, with a `trainModel` and a `pipeline` defined around it, on the
// worker that offers a GPU.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { join } from "node:path";
import { temporaryDir } from "../support/dispatcher.js";
import { freePort } from "../support/ports.ts";

const root = join(import.meta.dirname, "..", "..", "..");
const readme = readFileSync(join(root, "README.md"), "utf8");
const scratch = temporaryDir("valence-readme-scale-out-");
const started: Array<{ child: ChildProcess; closed: Promise<void> }> = [];

/** The ```sh blocks of the "Scale out" section, their lines without comments. */
function steps(): string[][] {
  const section = readme.slice(readme.indexOf("\n## Scale out\n"), readme.indexOf("\n## How the engine is tested\n"));
  return [...section.matchAll(/^\s*```sh\n([\s\S]*?)^\s*```$/gm)].map((match) =>
    match[1]!
      .split("\n")
      .map((line) => line.replace(/\s+#.*$/, "").trim())
      .filter(Boolean),
  );
}

async function answers(port: number, deadlineMs = 10_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection(port, "127.0.0.1", () => (socket.end(), resolve(true)));
      socket.on("error", () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("VALENCE_")));
const env = { ...clean, VALENCE_DATA_DIR: join(scratch, "valence") };

after(async () => {
  spawnSync("sh", ["-c", "npx valence stop"], { cwd: root, env, timeout: 30_000 });
  // Each was started in its own process group: npx does not pass SIGTERM on to the worker it runs.
  for (const { child, closed } of started.reverse()) {
    try {
      process.kill(-child.pid!, "SIGTERM");
    } catch {
      // already gone
    }
    await closed;
  }
});

/** Starts `sh -c "exec <line>"` in a process group of its own; `closed` resolves once it and its pipes are gone. */
function startLine(line: string, cwd: string, environment: NodeJS.ProcessEnv, output?: (text: string) => void) {
  const child = spawn("sh", ["-c", `exec ${line}`], {
    cwd,
    env: environment,
    detached: true,
    stdio: ["ignore", output ? "pipe" : "ignore", output ? "pipe" : "ignore"],
  });
  child.stdout?.on("data", (chunk: Buffer) => output!(chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => output!(chunk.toString()));
  const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));
  started.push({ child, closed });
  return child;
}

test('README "Scale out": Redis, the dispatcher pointed at it, two workers, then examples/scale-out.ts', async () => {
  const [redisStep, dispatcherStep, workerStep] = steps();
  assert.equal(steps().length, 3);
  const port = await freePort();
  const local = (line: string) => line.replaceAll("redis-host", "127.0.0.1").replaceAll("6379", String(port));

  assert.match(redisStep![0]!, /^sudo apt-get install -y redis-server$/);
  startLine(local(redisStep![1]!), scratch, clean);
  await answers(port);

  const dispatcher = spawnSync("sh", ["-c", dispatcherStep!.map(local).join("\n")], {
    cwd: root,
    env,
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.equal(dispatcher.status, 0, dispatcher.stderr);

  assert.equal(workerStep!.length, 2);
  let workerOutput = "";
  for (const line of workerStep!) startLine(local(line), root, clean, (text) => (workerOutput += text));

  const ran = spawnSync("sh", ["-c", "npx valence run examples/scale-out.ts"], {
    cwd: root,
    env,
    encoding: "utf8",
    timeout: 180_000,
  });
  assert.equal(ran.status, 0, `${ran.stderr}\n${workerOutput}`);
  const seed = JSON.parse(/^result: (.*)$/m.exec(ran.stdout)![1]!) as number[];
  assert.equal(seed.length, 10);
  // 0² + 1² + … + 999²
  assert.match(ran.stdout, /^sum of squares: 332833500$/m);
  // Workers, not this machine's threads, ran them: "workers: host (pid N): count, …" for each result.
  const lines = [...ran.stdout.matchAll(/^workers: (.+)$/gm)].map((match) => match[1]!);
  assert.equal(lines.length, 2, ran.stdout);
  for (const line of lines) assert.match(line, /^\S+ \(pid \d+\): \d+/);
});

test('README "Scale out" step 4: its fragment sends a GPU task to the worker with `--gpus 1`, the rest to any worker', () => {
  const section = readme.slice(readme.indexOf("\n## Scale out\n"), readme.indexOf("\n## How the engine is tested\n"));
  const blocks = [...section.matchAll(/^([ ]*)```ts\n([\s\S]*?)^\s*```$/gm)];
  assert.equal(blocks.length, 1);
  const indent = blocks[0]![1]!.length;
  const fragment = blocks[0]![2]!
    .split("\n")
    .map((line) => line.slice(indent))
    .join("\n");
  // Inside the repository, where `npx valence` and "valence-workflows" resolve as in a user's project.
  const dir = join(root, ".valence", "readme-scale-out-step4");
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "flow.ts"),
    `import * as ct from "valence-workflows";
const trainModel = (rows: number[]) => rows.reduce((a, b) => a + b, 0);
const prepare = ct.electron((n: number) => Array.from({ length: n }, (_, i) => i), { name: "prepare" });
function pipeline(n: number) { return train(prepare(n)); }
${fragment}
const result = await ct.dispatchSync(flow)(5);
console.log("result", result.result, "on workers", result.nodes.filter((node) => node.worker).length);
`,
  );
  const ran = spawnSync("sh", ["-c", "npx valence run flow.ts"], { cwd: dir, env, encoding: "utf8", timeout: 120_000 });
  rmSync(dir, { recursive: true, force: true });
  assert.equal(ran.status, 0, ran.stderr);
  // prepare and train: the one task needing a GPU ran, on the only worker that declares one.
  assert.match(ran.stdout, /^result 10 on workers 2$/m);
});
