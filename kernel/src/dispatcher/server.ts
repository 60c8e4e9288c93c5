// The dispatcher's network face: HTTP JSON and a websocket, on 127.0.0.1 by default. Every request
// needs the token (Authorization: Bearer, or ?token= for browsers); the derived read credential
// allows only GET and the websocket. A browser Origin must be allowed (and gets CORS headers);
// bodies are size-limited; no input can crash the process.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { WebSocketServer } from "ws";
import { WorkflowError } from "../workflow/errors";
import { DispatchBusy, DispatchRejected, UnknownDispatch, type Engine } from "./engine";
import { handleHttp, type HandlerContext } from "./http-handlers";
import { UnknownTrigger } from "./triggers";
import { jsonDepth } from "./json-depth";
import { hostAllowed, limitConnections, type ConnectionLimits } from "./connection-limits";
import { helloProof, readTokenFor, tokensMatch } from "../shared/runtime-file";
import { attachSession } from "./ws-session";

export interface ServerOptions {
  /** Interface to bind. Default 127.0.0.1: only this machine can connect. */
  readonly host?: string;
  /** Port; 0 picks a free one. Default 0. */
  readonly port?: number;
  readonly token: string;
  /** Browser origins allowed besides loopback ones (http(s)://127.0.0.1|localhost|[::1]:any). */
  readonly allowedOrigins?: readonly string[];
  /** Largest request body, in bytes. Default 256 MiB. */
  readonly maxBodyBytes?: number;
  /** Largest websocket message, in bytes. Default 1 MiB. */
  readonly maxMessageBytes?: number;
  /** Connection caps (connection-limits.ts). */
  readonly limits?: ConnectionLimits;
}

export interface RunningServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Deepest nesting of arrays and objects a request body may have (a lattice's values nest). */
export const MAX_JSON_DEPTH = 512;
const CHALLENGE = /^[A-Za-z0-9_-]{16,128}$/;
const LOOPBACK_ORIGIN = /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/;

export async function serve(
  engine: Engine,
  context: Omit<HandlerContext, "engine">,
  options: ServerOptions,
): Promise<RunningServer> {
  const maxBody = options.maxBodyBytes ?? 256 * 1024 * 1024;
  const originAllowed = (origin: string | undefined): boolean =>
    origin === undefined || LOOPBACK_ORIGIN.test(origin) || (options.allowedOrigins ?? []).includes(origin);
  const readToken = readTokenFor(options.token);
  /** "write" for the token, "read" for the read credential, undefined for anything else. */
  const access = (req: IncomingMessage, url: URL): "write" | "read" | undefined => {
    const header = req.headers.authorization;
    const given =
      (header?.startsWith("Bearer ") ? header.slice(7) : undefined) ?? url.searchParams.get("token") ?? undefined;
    if (tokensMatch(given, options.token)) return "write";
    return tokensMatch(given, readToken) ? "read" : undefined;
  };

  const http: Server = createServer((req, res) => {
    void respond(req, res).catch((error: unknown) =>
      reply(res, 500, { error: `internal error: ${(error as Error).message}` }),
    );
  });

  const authenticated = limitConnections(http, options.limits);
  const bound = options.host ?? "127.0.0.1";
  const hostRefused = (req: IncomingMessage): boolean => !hostAllowed(req, bound, options.allowedOrigins ?? []);

  async function respond(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://dispatcher");
    if (hostRefused(req)) return reply(res, 421, { error: `host ${req.headers.host} is not this dispatcher` });
    const origin = req.headers.origin;
    if (!originAllowed(origin)) return reply(res, 403, { error: `origin ${origin} is not allowed` });
    if (origin !== undefined) allowCrossOrigin(res, origin);
    // A browser's preflight carries no credentials; it only learns what it may send.
    if (req.method === "OPTIONS") return reply(res, 204, undefined);
    // Before any credential: a client asks this to know it reached its own dispatcher (runtime-file.ts).
    if (url.pathname === "/api/v1/hello" && req.method === "GET") {
      const challenge = url.searchParams.get("challenge") ?? "";
      if (!CHALLENGE.test(challenge)) return reply(res, 400, { error: "challenge: 16 to 128 base64url characters" });
      return reply(res, 200, { proof: helloProof(options.token, (http.address() as AddressInfo).port, challenge) });
    }
    const granted = access(req, url);
    if (!granted) return reply(res, 401, { error: "missing or wrong token" });
    authenticated(req.socket);
    if (granted === "read" && req.method !== "GET")
      return reply(res, 403, { error: "the read credential only allows GET requests" });
    let body: unknown;
    let text: string | undefined;
    if (req.method === "POST") {
      const read = await readBody(req, maxBody).catch((error: Error) => error);
      if (read instanceof Error) return reply(res, 413, { error: read.message });
      text = read;
      if (jsonDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
        return reply(res, 400, { error: `request body nests deeper than ${MAX_JSON_DEPTH} levels` });
      }
      try {
        body = text.length ? JSON.parse(text) : undefined;
      } catch (error) {
        return reply(res, 400, { error: `request body is not valid JSON: ${(error as Error).message}` });
      }
    }
    try {
      const result = await handleHttp(
        { engine, ...context },
        { method: req.method ?? "GET", path: url.pathname, query: url.searchParams, body, ...(text ? { text } : {}) },
      );
      reply(res, result.status, result.body);
    } catch (error) {
      if (error instanceof UnknownDispatch || error instanceof UnknownTrigger)
        return reply(res, 404, { error: error.message });
      if (error instanceof DispatchBusy) return reply(res, 409, { error: error.message });
      if (error instanceof DispatchRejected || error instanceof WorkflowError)
        return reply(res, 400, { error: error.message });
      throw error;
    }
  }

  const sockets = new WebSocketServer({ noServer: true, maxPayload: options.maxMessageBytes ?? 1024 * 1024 });
  http.on("upgrade", (req, socket, head) => {
    const url = new URL(req.url ?? "/", "http://dispatcher");
    const refuse = (code: number, text: string): void => {
      socket.end(`HTTP/1.1 ${code} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (hostRefused(req)) return refuse(421, "Misdirected Request");
    if (url.pathname !== "/api/v1/events") return refuse(404, "Not Found");
    if (!originAllowed(req.headers.origin)) return refuse(403, "Forbidden");
    if (!access(req, url)) return refuse(401, "Unauthorized");
    authenticated(req.socket as Socket);
    sockets.handleUpgrade(req, socket, head, (ws) => {
      sockets.emit("connection", ws, req);
      attachSession(ws, engine);
    });
  });
  // Heartbeat: drop clients that stopped answering pings (the pattern of ws's README).
  const alive = new WeakSet<object>();
  sockets.on("connection", (ws) => {
    alive.add(ws);
    ws.on("pong", () => alive.add(ws));
    ws.on("error", () => ws.terminate());
  });
  const heartbeat = setInterval(() => {
    for (const ws of sockets.clients) {
      if (!alive.has(ws)) ws.terminate();
      else {
        alive.delete(ws);
        ws.ping();
      }
    }
  }, 30_000);
  heartbeat.unref();

  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(options.port ?? 0, options.host ?? "127.0.0.1", resolve);
  });
  const address = http.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    close: async () => {
      clearInterval(heartbeat);
      for (const ws of sockets.clients) ws.terminate();
      sockets.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

function allowCrossOrigin(res: ServerResponse, origin: string): void {
  res.setHeader("access-control-allow-origin", origin);
  res.setHeader("access-control-allow-methods", "GET, POST");
  res.setHeader("access-control-allow-headers", "authorization, content-type");
  res.setHeader("access-control-max-age", "600");
  res.setHeader("vary", "origin");
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  // Encoded once: its length is then known without another pass over MBs of node states.
  const bytes = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { "content-type": "application/json", "content-length": bytes.byteLength });
  res.end(bytes);
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > limit) {
      req.resume();
      return reject(new Error(`request body of ${declared} bytes is over the limit of ${limit}`));
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.destroy();
        reject(new Error(`request body is over the limit of ${limit} bytes`));
      } else chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}
