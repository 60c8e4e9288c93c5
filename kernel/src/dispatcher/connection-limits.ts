// Limits on who may hold the dispatcher's connections. Anyone on the machine can connect to a loopback
// port: connections that have not yet shown the token are few (the oldest is dropped when another
// arrives, so a flood of idle ones never keeps the owner out) and must send their headers quickly;
// all connections together are capped. And a request must name a loopback host in `Host`, so a web
// page whose name was rebound to 127.0.0.1 (DNS rebinding) is refused even before its token is checked.
import type { IncomingMessage, Server } from "node:http";
import type { Socket } from "node:net";

export interface ConnectionLimits {
  /** Connections open at once. Default 1024. */
  readonly maxConnections?: number;
  /** Connections that have not yet presented a credential. Default 64. */
  readonly maxUnauthenticated?: number;
  /** Time to send a request's headers, in ms. Default 10 s. */
  readonly headersTimeoutMs?: number;
}

const LOOPBACK_HOST = /^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/i;
const WILDCARD = new Set(["0.0.0.0", "::", "[::]"]);

/** Applies the limits to `http`; the returned function marks a connection as authenticated. */
export function limitConnections(http: Server, limits: ConnectionLimits = {}): (socket: Socket) => void {
  const maxUnauthenticated = limits.maxUnauthenticated ?? 64;
  http.maxConnections = limits.maxConnections ?? 1024;
  http.headersTimeout = limits.headersTimeoutMs ?? 10_000;
  // Unauthenticated connections, oldest first (a Set iterates in insertion order).
  const unauthenticated = new Set<Socket>();
  http.on("connection", (socket: Socket) => {
    unauthenticated.add(socket);
    socket.once("close", () => unauthenticated.delete(socket));
    if (unauthenticated.size > maxUnauthenticated) {
      const oldest = unauthenticated.values().next().value!;
      unauthenticated.delete(oldest);
      oldest.destroy();
    }
  });
  return (socket) => void unauthenticated.delete(socket);
}

/**
 * Whether the request's `Host` is one this dispatcher answers to: a loopback name, the address it
 * is bound to, or the host of an allowed origin. Bound to a wildcard address (to serve remote
 * workers) it cannot know its names, and the token alone guards it.
 */
export function hostAllowed(req: IncomingMessage, bound: string, allowedOrigins: readonly string[]): boolean {
  const host = req.headers.host;
  if (host === undefined || WILDCARD.has(bound) || LOOPBACK_HOST.test(host)) return true;
  const name = host.replace(/:\d+$/, "").toLowerCase();
  if (name === bound.toLowerCase() || `[${bound.toLowerCase()}]` === name) return true;
  return allowedOrigins.some((origin) => {
    try {
      return new URL(origin).hostname.toLowerCase() === name;
    } catch {
      return false;
    }
  });
}
