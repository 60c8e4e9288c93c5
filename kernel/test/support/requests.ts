// Test support: the JSON body a client sends for a dispatch (POST /api/v1/dispatches), built as the
// client builds it, for tests that then break it on purpose; and a raw HTTP call to a dispatcher.
import type * as ct from "valence-workflows";
import { serializeLattice } from "#src/workflow/serialize/index.js";
import { encodeValue, toTransportGraph } from "#src/workflow/transport.js";

export interface DispatchBody {
  graph: {
    version: number;
    electrons: Array<{ functions?: unknown[]; electron: Record<string, unknown> }>;
    nodes: Record<string, unknown>;
    edges: { source: number[]; target: number[]; kind: string; position: number[] };
    output: unknown;
    [key: string]: unknown;
  };
  lattice: Record<string, unknown>;
  inputs: string;
}

/** A fresh copy of the body `ct.dispatch(lattice)(...args)` would send. */
export function dispatchBody(lattice: ct.Lattice<never[], unknown>, ...args: unknown[]): DispatchBody {
  const built = (lattice as unknown as { build(...args: unknown[]): unknown }).build(...args);
  const body = {
    graph: toTransportGraph(built as Parameters<typeof toTransportGraph>[0]),
    lattice: serializeLattice(lattice as unknown as Parameters<typeof serializeLattice>[0]),
    inputs: encodeValue(args, "test arguments"),
  };
  return JSON.parse(JSON.stringify(body)) as DispatchBody;
}

/** An HTTP call with the dispatcher's token; the status and the JSON body (or the text). */
export async function callDispatcher(
  dispatcher: { readonly url: string; readonly token: string },
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  signal?: AbortSignal,
): Promise<{ status: number; body: { error?: string; details?: string[]; [key: string]: unknown } }> {
  const res = await fetch(`${dispatcher.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${dispatcher.token}`, "content-type": "application/json", ...headers },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    ...(signal ? { signal } : {}),
  });
  const text = await res.text();
  let parsed: { error?: string; details?: string[] };
  try {
    parsed = text ? (JSON.parse(text) as typeof parsed) : {};
  } catch {
    parsed = { error: text };
  }
  return { status: res.status, body: parsed };
}
