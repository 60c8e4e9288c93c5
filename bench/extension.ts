// The JupyterLab extension in Debian's Chromium (headless, playwright-core from ui-tests/), without
// JupyterLab: extension-page/entry.ts, bundled with esbuild from the extension's real modules, runs
// in a bare page served here with the extension's CSS. It times DagView.show() on generated DAG
// documents (everything drawn, nothing folded), and 1,000 node updates arriving over the real live
// path (DispatcherLink → websocket → per-frame batches → restyle) from a stand-in dispatcher.
// Every request stays on 127.0.0.1. Run alone: node --import ./kernel/dist/register.js bench/extension.ts
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath, pathToFileURL } from "node:url";
import { dagSchema, protocolSchema } from "@valence/schema";
import type { DagDocument, DagEdge, DagNode, DispatchSummary, NodeState, ServerMessage } from "@valence/schema";
import { Ajv } from "ajv";
import { build } from "esbuild";
import { WebSocketServer, type WebSocket } from "ws";
import type { Engine } from "../kernel/src/dispatcher/engine.ts";
import { attachSession } from "../kernel/src/dispatcher/ws-session.ts";
import type { BareSample, DrawSample, LiveSample } from "./extension-page/samples.ts";

const at = (path: string) => fileURLToPath(new URL(`../${path}`, import.meta.url));
const DISPATCH_ID = "bench-dispatch";
const READ_TOKEN = "bench-read-token";

export interface DrawFigure {
  nodes: number;
  runs: number;
  /** The first run, before the page's code is warm (what a notebook's first DAG costs). */
  firstPaintedMs: number;
  shownMedianMs: number;
  paintedMedianMs: number;
  layoutMedianMs: number;
}

export interface LiveFigure {
  updates: number;
  runs: number;
  updatesMedianMs: number;
  /** Worst over the runs: the target is about any stall, not a typical one. */
  maxFrameGapMs: number;
  medianMaxFrameGapMs: number;
  /** Longest main-thread animation frame over 50 ms in any run (tasks, style, layout, paint); 0 when none was. */
  longestFrameMs: number;
  /** The same burst on a bare WebSocket in the same page (no extension code): the transport's share. */
  bare: { receiveMedianMs: number; maxFrameGapMs: number };
}

export interface ExtensionFigures {
  draws: DrawFigure[];
  live: LiveFigure;
}

// ---- DAG documents ---------------------------------------------------------------------------------

/**
 * A lattice the size of `nodes` shaped like real ones: a parameter feeds `load`, whose rows fan out
 * through `[i]` accessors into `clean(row, threshold)` then `score`, each branch with its own
 * parameter; a list gathers the scores for `summarize`. Half electrons, the rest helpers.
 */
export function benchDocument(nodes: number): DagDocument {
  const branches = Math.floor((nodes - 4) / 4);
  const list: DagNode[] = [];
  const edges: DagEdge[] = [];
  const add = (node: Omit<DagNode, "id" | "status">): number => {
    list.push({ id: list.length, status: "PENDING", ...node });
    return list.length - 1;
  };
  const local = { executor: "local" };
  const source = add({ kind: "parameter", name: "source", value: { type: "string", preview: '"s3://bench/rows"' } });
  const load = add({ kind: "electron", name: "load", options: local });
  edges.push({ source, target: load, kind: "data", position: 0 });
  const scores: number[] = [];
  for (let i = 0; i < branches; i++) {
    const row = add({ kind: "getitem", name: `load()[${i}]`, key: i });
    edges.push({ source: load, target: row, kind: "data" });
    const threshold = add({ kind: "parameter", name: "threshold", value: { type: "number", preview: `${i % 7}` } });
    const clean = add({ kind: "electron", name: "clean", options: { ...local, retries: 1 } });
    edges.push({ source: row, target: clean, kind: "data", position: 0 });
    edges.push({ source: threshold, target: clean, kind: "data", position: 1 });
    const score = add({ kind: "electron", name: i % 10 === 0 ? "score_with_a_rather_long_name" : "score" });
    edges.push({ source: clean, target: score, kind: "data", position: 0 });
    scores.push(score);
  }
  const gathered = add({ kind: "list", name: "scores" });
  scores.forEach((score, position) => edges.push({ source: score, target: gathered, kind: "data", position }));
  const summarize = add({ kind: "electron", name: "summarize", options: local });
  edges.push({ source: gathered, target: summarize, kind: "data", position: 0 });
  // Sizes that are not 4k + 4 are filled up with more arguments of the summary: exactly `nodes` drawn.
  for (let position = 1; list.length < nodes; position++) {
    const extra = add({ kind: "parameter", name: "digits", value: { type: "number", preview: "3" } });
    edges.push({ source: extra, target: summarize, kind: "data", position });
  }
  return {
    version: 1,
    lattice: { name: "pipeline", inputs: [{ type: "string", preview: '"s3://bench/rows"' }] },
    nodes: list,
    edges,
    output: { kind: "future", node: summarize },
    dispatch: { id: DISPATCH_ID, status: "RUNNING" },
  };
}

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
ajv.addKeyword("tsType"); // a hint for the type generator only
ajv.addSchema(dagSchema);
ajv.addSchema(protocolSchema);

function check(schemaRef: string, value: unknown, what: string): void {
  const validate = ajv.getSchema(schemaRef)!;
  if (!validate(value)) throw new Error(`bench ${what} is invalid: ${ajv.errorsText(validate.errors)}`);
}

/** What the stand-in engine has for a subscriber: a snapshot, then one update per node. */
function liveMessages(document: DagDocument): ServerMessage[] {
  const t0 = Date.now();
  const summary = (status: DispatchSummary["status"]): DispatchSummary => ({
    id: DISPATCH_ID,
    latticeName: document.lattice.name,
    status,
    createdAt: t0,
    startedAt: t0,
    ...(status === "COMPLETED" ? { endedAt: t0 + document.nodes.length } : {}),
  });
  const pending: NodeState[] = document.nodes.map(({ id }) => ({ id, status: "PENDING", attempts: 0 }));
  const messages: ServerMessage[] = [
    { type: "snapshot", dispatchId: DISPATCH_ID, seq: 0, dispatch: summary("RUNNING"), nodes: pending },
  ];
  document.nodes.forEach(({ id }, i) => {
    const last = i === document.nodes.length - 1;
    messages.push({
      type: "update",
      dispatchId: DISPATCH_ID,
      seq: i + 1,
      node: {
        id,
        status: "COMPLETED",
        attempts: 1,
        startedAt: t0 + i,
        endedAt: t0 + i + 1,
        output: { type: "number", preview: String(i) },
      },
      // The last one ends the dispatch, as the dispatcher's own last update does.
      ...(last ? { dispatch: summary("COMPLETED") } : {}),
    });
  });
  for (const message of [messages[0], messages[1], messages.at(-1)])
    check(`${protocolSchema.$id}#/definitions/serverMessage`, message, "server message");
  return messages;
}

// ---- the page and the stand-in dispatcher -------------------------------------------------------------

/** JupyterLab's light theme values for the variables style/ reads. */
const JP_VARIABLES = `:root {
  --jp-border-color1: #bdbdbd; --jp-border-color2: #e0e0e0; --jp-brand-color1: #1976d2;
  --jp-code-font-family: Menlo, Consolas, "DejaVu Sans Mono", monospace; --jp-code-font-size: 13px;
  --jp-error-color1: #d32f2f; --jp-info-color1: #0097a7; --jp-warn-color1: #f57c00; --jp-success-color1: #388e3c;
  --jp-layout-color0: white; --jp-layout-color1: white; --jp-layout-color2: #eee; --jp-layout-color3: #bdbdbd;
  --jp-rendermime-error-background: #fdd; --jp-ui-font-color1: rgba(0, 0, 0, 0.87); --jp-ui-font-color2: rgba(0, 0, 0, 0.54);
  --jp-ui-font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
  --jp-ui-font-size0: 0.83333em; --jp-ui-font-size1: 13px; --jp-ui-font-size2: 1.2em;
}
body { margin: 0; padding: 8px; background: var(--jp-layout-color0); }`;

async function bundle(): Promise<string> {
  const result = await build({
    entryPoints: [at("bench/extension-page/entry.ts")],
    bundle: true,
    format: "iife",
    target: "chrome120",
    // Minified like the prebuilt extension's production bundle.
    minify: true,
    write: false,
    logLevel: "silent",
  });
  return result.outputFiles[0]!.text;
}

interface Page {
  html: string;
  script: string;
  /** What the next subscriber gets. */
  messages: ServerMessage[];
}

function serve(page: Page): Promise<Server> {
  const server = createServer((request, response) => {
    const body = request.url === "/" ? page.html : request.url === "/bench.js" ? page.script : undefined;
    if (body === undefined) return void response.writeHead(404).end();
    const type = request.url === "/" ? "text/html" : "text/javascript";
    response.writeHead(200, { "content-type": `${type}; charset=utf-8` }).end(body);
  });
  const sockets = new WebSocketServer({ server, path: "/api/v1/events" });
  sockets.on("connection", (socket: WebSocket, request) => {
    if (new URL(request.url!, "http://127.0.0.1").searchParams.get("token") !== READ_TOKEN) return socket.close();
    // The dispatcher's own websocket session (validation, framing, batching) over a stand-in engine
    // that has every update ready at once: the browser gets the burst as the dispatcher sends it.
    const engine = {
      subscribe(dispatchId: string, send: (message: ServerMessage) => void) {
        if (dispatchId === DISPATCH_ID) for (const message of page.messages) send(message);
        return () => undefined;
      },
    };
    attachSession(socket, engine as unknown as Engine);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

// ---- Chromium ----------------------------------------------------------------------------------------

/** The few playwright-core calls used (its types live in ui-tests/node_modules, installed at run time). */
interface BrowserPage {
  goto(url: string): Promise<unknown>;
  evaluate<T>(expression: string): Promise<T>;
  waitForFunction(expression: string): Promise<unknown>;
  route(url: (url: URL) => boolean, handler: (route: { abort(): Promise<void> }) => unknown): Promise<void>;
  on(event: "pageerror", listener: (error: Error) => void): void;
}
interface Chromium {
  launch(options: { executablePath: string; args: string[]; headless: boolean }): Promise<{
    newPage(options: { viewport: { width: number; height: number } }): Promise<BrowserPage>;
    close(): Promise<void>;
  }>;
}

/** A fresh clone: Debian's Chromium, the extension's and ui-tests' npm packages, the schema copies. */
async function prepare(): Promise<void> {
  execFileSync(process.execPath, [at("scripts/apt.mjs"), "chromium"], { stdio: "inherit" });
  const stamps = (await import(pathToFileURL(at("lab/scripts/stamps.mjs")).href)) as {
    ensureInstalled(project: string, label: string): boolean;
  };
  stamps.ensureInstalled(at("extension"), "extension");
  stamps.ensureInstalled(at("ui-tests"), "ui-tests");
  execFileSync(process.execPath, [at("extension/scripts/sync-schema.mjs")], { stdio: "inherit" });
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  return sorted.length % 2 ? sorted[Math.floor(mid)]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

export interface ExtensionBenchOptions {
  sizes?: number[];
  /** Measured runs per size, after one cold and `warmups` more unmeasured ones. */
  drawRuns?: number;
  warmups?: number;
  liveRuns?: number;
}

export async function benchExtension(options: ExtensionBenchOptions = {}): Promise<ExtensionFigures> {
  const { sizes = [100, 1_000], drawRuns = 9, warmups = 2, liveRuns = 5 } = options;
  await prepare();
  const { CHROMIUM_ARGS } = (await import(pathToFileURL(at("ui-tests/playwright.config.ts")).href)) as {
    CHROMIUM_ARGS: string[];
  };
  const { chromium } = (await import(pathToFileURL(at("ui-tests/node_modules/playwright-core/index.mjs")).href)) as {
    chromium: Chromium;
  };
  // The stylesheet with its @imports inlined, in order: the bare page has no CSS loader.
  const css = readFileSync(at("style/index.css"), "utf8").replace(/@import url\("([^"]+)"\);/g, (_, file: string) =>
    readFileSync(at(`style/${file}`), "utf8"),
  );
  const page: Page = {
    html: `<!doctype html><html><head><meta charset="utf-8"><title>Valence extension bench</title>
<style>${JP_VARIABLES}</style><style>${css}</style></head>
<body><div id="host" class="valence-dag-output"></div><script src="/bench.js"></script></body></html>`,
    script: await bundle(),
    messages: [],
  };
  const server = await serve(page);
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // --expose-gc: the page collects garbage between samples, so one sample's leftovers do not land in the next.
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: [...CHROMIUM_ARGS, "--js-flags=--expose-gc"],
    headless: true,
  });
  try {
    const tab = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: Error[] = [];
    tab.on("pageerror", (error) => errors.push(error));
    await tab.route(
      (url) => url.origin !== origin,
      (route) => route.abort(),
    );
    await tab.goto(`${origin}/`);
    await tab.waitForFunction("'valenceBench' in window");
    const run = async <T>(expression: string): Promise<T> => {
      const result = await tab.evaluate<T>(expression);
      if (errors.length) throw errors[0]!;
      return result;
    };

    const draws: DrawFigure[] = [];
    for (const nodes of sizes) {
      const document = benchDocument(nodes);
      check(dagSchema.$id, document, "DAG document");
      const json = JSON.stringify(document);
      const samples: DrawSample[] = [];
      for (let i = 0; i < 1 + warmups + drawRuns; i++) samples.push(await run(`valenceBench.draw(${json})`));
      const measured = samples.slice(1 + warmups);
      if (measured.some((sample) => sample.drawnNodes !== nodes))
        throw new Error(`drew ${measured[0]!.drawnNodes} of ${nodes} nodes`);
      draws.push({
        nodes,
        runs: measured.length,
        firstPaintedMs: samples[0]!.paintedMs,
        shownMedianMs: median(measured.map((sample) => sample.shownMs)),
        paintedMedianMs: median(measured.map((sample) => sample.paintedMs)),
        layoutMedianMs: median(measured.map((sample) => sample.layoutMs)),
      });
    }

    const updates = 1_000;
    const document = benchDocument(updates);
    check(dagSchema.$id, document, "DAG document");
    page.messages = liveMessages(document);
    const lastId = document.nodes.at(-1)!.id;
    const address = JSON.stringify({ url: origin, readToken: READ_TOKEN });
    const json = JSON.stringify(document);
    const lives: LiveSample[] = [];
    const bares: BareSample[] = [];
    // One unmeasured run of each warms their code, as the draw samples' warm-ups do; alternated so
    // a busy moment of the machine spreads over both.
    for (let i = 0; i < 1 + liveRuns; i++) {
      lives.push(await run(`valenceBench.live(${json}, ${address}, ${lastId})`));
      bares.push(await run(`valenceBench.bare(${address}, "${DISPATCH_ID}", ${page.messages.length})`));
    }
    const measured = lives.slice(1);
    for (const sample of measured)
      if (sample.completedNodes !== updates)
        throw new Error(`${sample.completedNodes} of ${updates} nodes shown COMPLETED`);
    return {
      draws,
      live: {
        updates,
        runs: measured.length,
        updatesMedianMs: median(measured.map((sample) => sample.updatesMs)),
        maxFrameGapMs: Math.max(...measured.map((sample) => sample.maxFrameGapMs)),
        medianMaxFrameGapMs: median(measured.map((sample) => sample.maxFrameGapMs)),
        longestFrameMs: Math.max(...measured.map((sample) => sample.longestFrameMs)),
        bare: {
          receiveMedianMs: median(bares.slice(1).map((sample) => sample.receiveMs)),
          maxFrameGapMs: Math.max(...bares.slice(1).map((sample) => sample.maxFrameGapMs)),
        },
      },
    };
  } finally {
    await browser.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(JSON.stringify(await benchExtension(), null, 2));
}
