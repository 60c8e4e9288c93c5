// README.md's own code blocks, run as written (read from the README, so editing a block edits the
// test). Which test runs which block:
// - here: Quick start's `npm start` (JupyterLab on 127.0.0.1 with the kernel, Ctrl-C stops it), "Ten
//   lines" through `valence run`, then with the "Dispatching" block after it, and the dispatcher
//   block's commands through `npx valence`, without and with its optional flags;
// - notebook.test.ts: "In a notebook", in the kernel;
// - fragments.test.ts: the fragments that use names they do not define (the deps.npm electron, the
//   sublattice, redispatch/cache, volume and resources/hooks/wait ones), between a prelude and an
//   epilogue;
// - scale-out.test.ts: the "Scale out" steps and step 4's fragment, with a local Redis and two local
//   workers standing in for the remote ones;
// - kernel/test/package: "Install from npm" on the packed package (`npx valence install` as written),
//   and the config JSON (its $schema path resolves in an installed project).
// Not run: `npm test` (the command that runs this), `npm install valence-workflows` as written (the
// install test installs the packed tarball offline instead: the registry is not reached), Scale out's
// `sudo apt-get install -y redis-server` (scripts/test.mjs installs Debian's redis-server), and the
// fuzz campaigns (hours long; `npm test` runs shorter ones of the same code).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { temporaryDir } from "../support/dispatcher.js";

const root = join(import.meta.dirname, "..", "..", "..");
const readme = readFileSync(join(root, "README.md"), "utf8");

interface Block {
  readonly lang: string;
  readonly code: string;
  /** The nearest heading above it. */
  readonly section: string;
}

/** Every fenced block, indented ones (inside list items) included. */
function blocks(): Block[] {
  const found: Block[] = [];
  let section = "";
  const lines = readme.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const heading = /^#+ (.*)$/.exec(lines[i]!);
    if (heading) section = heading[1]!;
    const open = /^(\s*)```(\w+)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const indent = open[1]!.length;
    const code: string[] = [];
    for (i++; i < lines.length && !/^\s*```\s*$/.test(lines[i]!); i++) code.push(lines[i]!.slice(indent));
    found.push({ lang: open[2]!, code: code.join("\n"), section });
  }
  return found;
}

/** A shell block's commands as written, without comments and optional `[flags]`. */
function commandsOf(code: string): string[] {
  return code
    .split("\n")
    .map((line) =>
      line
        .replace(/#.*$/, "")
        .replace(/\s*\[[^\]]*\]/g, "")
        .trim(),
    )
    .filter(Boolean);
}

/** Runs `valence …` as the README's `npx valence …` does, with the dispatcher's data in `dataDir`. */
function npx(command: string, dataDir: string, cwd = root) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("VALENCE_")));
  return spawnSync("sh", ["-c", command], {
    cwd,
    encoding: "utf8",
    env: { ...clean, VALENCE_DATA_DIR: dataDir },
    timeout: 120_000,
  });
}

test('README "Ten lines": the block runs with `npx valence run`, drawing 20 tasks and printing 10 numbers', () => {
  const tenLines = blocks().filter((b) => b.section === "Ten lines" && b.lang === "ts");
  assert.equal(tenLines.length, 1);
  // Inside the repository, where "valence-workflows" resolves as in a user's project.
  const dir = join(root, ".valence", "readme-test");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "flow.ts"), tenLines[0]!.code);
  try {
    const ran = npx("npx valence run flow.ts", temporaryDir("valence-readme-"), dir);
    assert.equal(ran.status, 0, ran.stderr);
    assert.match(ran.stdout, /^Lattice "dataProcessing": 20 tasks/m);
    const printed = /^\[([\s\d,]*)\]$/m.exec(ran.stdout);
    assert.ok(printed, ran.stdout);
    const numbers = printed[1]!.split(",").map((n) => Number(n.trim()));
    assert.equal(numbers.length, 10);
    assert.ok(
      numbers.every((n) => Number.isInteger(n) && n >= 1 && n <= 101),
      printed[0],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('README "Dispatching": its block, after "Ten lines", runs as one script on a dispatcher it starts', () => {
  const code = (section: string) => {
    const found = blocks().filter((b) => b.section === section && b.lang === "ts");
    assert.ok(found.length >= 1, section);
    return found[0]!.code;
  };
  const dir = join(root, ".valence", "readme-dispatch-test");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "flow.ts"), `${code("Ten lines")}\n${code("Dispatching")}\n`);
  const dataDir = temporaryDir("valence-readme-");
  try {
    const ran = npx("npx valence run flow.ts", dataDir, dir);
    assert.equal(ran.status, 0, ran.stderr);
    // `console.log(result.result, await result.getNodeResult(1))`: the 10 values, then node 1's result.
    assert.match(ran.stdout, /^\[(\s*\d+,){9}\s*\d+\s*\] \{/m);
  } finally {
    npx("npx valence stop", dataDir);
    rmSync(dir, { recursive: true, force: true });
  }
});

test("README dispatcher block: `npx valence start`, `status`, `stop` as written (optional flags left out)", () => {
  const block = blocks().find((b) => b.lang === "sh" && /npx valence start/.test(b.code));
  assert.ok(block, "the README has the dispatcher block");
  const commands = commandsOf(block.code);
  assert.deepEqual(commands, ["npx valence start", "npx valence status", "npx valence stop"]);
  const dataDir = temporaryDir("valence-readme-");
  try {
    const start = npx(commands[0]!, dataDir);
    assert.equal(start.status, 0, start.stderr);
    const status = npx(commands[1]!, dataDir);
    assert.equal(status.status, 0, status.stderr);
    assert.match(status.stdout, /^Valence dispatcher at http:\/\/127\.0\.0\.1:\d+$/m);
    const stop = npx(commands[2]!, dataDir);
    assert.equal(stop.status, 0, stop.stderr);
    assert.notEqual(npx(commands[1]!, dataDir).status, 0, "status fails once it is stopped");
  } finally {
    npx("npx valence stop", dataDir);
  }
});

test("README block of dispatches from a terminal: list, show, logs, cancel, delete, purge, triggers as written, on a dispatch of examples/dispatch.ts", () => {
  const block = blocks().find((b) => b.lang === "sh" && /npx valence list/.test(b.code));
  assert.ok(block, "the README has the block");
  const commands = commandsOf(block.code);
  assert.deepEqual(commands, [
    "npx valence list",
    "npx valence show <id>",
    "npx valence logs <id>",
    "npx valence cancel <id>",
    "npx valence delete <id>",
    "npx valence purge",
    "npx valence triggers",
  ]);
  const dataDir = temporaryDir("valence-readme-");
  try {
    const run = npx("npx valence run examples/dispatch.ts", dataDir);
    assert.equal(run.status, 0, run.stderr);
    const id = /Dispatch (\S+) of "dataProcessing": COMPLETED/.exec(run.stdout)?.[1];
    assert.ok(id, run.stdout);
    const [list, show, logs, cancel, remove, purge, triggers] = commands.map((command) =>
      npx(command.replace("<id>", id), dataDir),
    );
    for (const ran of [list, show, logs, cancel, remove, triggers]) assert.equal(ran!.status, 0, ran!.stderr);
    assert.match(list!.stdout, new RegExp(`^${id}\\s+dataProcessing\\s+COMPLETED`, "m"));
    assert.match(show!.stdout, /^0\s+prepareData\s+electron\s+COMPLETED\s+1\s/m);
    assert.equal(logs!.stdout, "", "the example's tasks print nothing");
    assert.match(cancel!.stdout, /is already COMPLETED/);
    assert.match(remove!.stdout, /deleted 1 dispatch/);
    assert.notEqual(purge!.status, 0, "without a terminal, purge wants --yes");
    assert.match(purge!.stderr, /pass --yes to confirm/);
    assert.match(triggers!.stdout, /^no running triggers/m);
  } finally {
    npx("npx valence stop", dataDir);
  }
});

test('README "Quick start": `npm start` serves JupyterLab with the Valence kernel on 127.0.0.1; Ctrl-C stops it and its dispatcher', async () => {
  const block = blocks().find((b) => b.section === "Quick start" && b.lang === "sh");
  assert.ok(block, "the README has the Quick start block");
  const commands = block.code
    .split("\n")
    .map((line) => line.replace(/\s+#.*$/, "").trim())
    .filter(Boolean);
  // `npm test` is the command that runs this test.
  assert.deepEqual(commands, ["npm start", "npm test"]);
  const dataDir = temporaryDir("valence-readme-start-");
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith("VALENCE_") && !name.startsWith("npm_")),
  );
  const env = { ...clean, VALENCE_DATA_DIR: dataDir };
  // Its own process group, as in a terminal: Ctrl-C signals the whole group.
  const child = spawn("sh", ["-c", `exec ${commands[0]}`], { cwd: root, env, detached: true, stdio: "pipe" });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise((resolve) => child.on("close", resolve));
  const url = /^JupyterLab with the Valence kernel: (http:\/\/127\.0\.0\.1:\d+\/)lab\?token=(\w+)$/m;
  try {
    const deadline = Date.now() + 180_000;
    while (!url.test(output) && child.exitCode === null && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100));
    const [, base, token] = url.exec(output) ?? assert.fail(`no JupyterLab URL:\n${output}`);
    const specs = (await (await fetch(`${base}api/kernelspecs?token=${token}`)).json()) as {
      kernelspecs: Record<string, { spec: { display_name: string } }>;
    };
    assert.equal(specs.kernelspecs.valence?.spec.display_name, "TypeScript (Valence)");
    assert.equal(npx("npx valence status", dataDir).status, 0, "the dispatcher npm start started runs");

    process.kill(-child.pid!, "SIGINT");
    await exited;
    await assert.rejects(fetch(`${base}api/status?token=${token}`), "JupyterLab stopped");
    assert.notEqual(npx("npx valence status", dataDir).status, 0, "the dispatcher stopped");
  } finally {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, "SIGKILL");
    npx("npx valence stop", dataDir);
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("README dispatcher block: `npx valence start` with its optional flags, on a free port instead of 8765", async () => {
  const block = blocks().find((b) => b.lang === "sh" && /npx valence start/.test(b.code));
  assert.ok(block, "the README has the dispatcher block");
  const line = block.code.split("\n")[0]!.replace(/\s+#.*$/, "");
  assert.equal(line, "npx valence start [--port 8765] [--data-dir DIR] [--foreground]");
  const port = await new Promise<number>((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
  const dataDir = temporaryDir("valence-readme-flags-");
  const command = line.replace(/[[\]]/g, "").replace("8765", String(port)).replace("DIR", dataDir);
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("VALENCE_")));
  const child = spawn("sh", ["-c", `exec ${command}`], { cwd: root, env: clean, detached: true, stdio: "ignore" });
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  try {
    const deadline = Date.now() + 60_000;
    let status = npx("npx valence status", dataDir);
    while (status.status !== 0 && child.exitCode === null && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      status = npx("npx valence status", dataDir);
    }
    assert.match(
      status.stdout,
      new RegExp(`^Valence dispatcher at http://127\\.0\\.0\\.1:${port}$`, "m"),
      status.stderr,
    );
    assert.equal(npx("npx valence stop", dataDir).status, 0);
    assert.equal(await exited, 0, "the foreground dispatcher exits once stopped");
  } finally {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, "SIGKILL");
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
});
