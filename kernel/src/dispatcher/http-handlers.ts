// The dispatcher's HTTP API as plain functions over the engine: each takes the parsed request and
// returns a status and a JSON body. The server only moves bytes; tests can call these directly.
import {
  STATUSES,
  isStatus,
  type CancelRequest,
  type DeleteRequest,
  type DispatchRequest,
  type RedispatchRequest,
} from "@valence/schema";
import type { TransportGraph } from "../workflow/transport";
import type { ElectronSpec } from "../workflow/serialize";
import type { TransportGraphV1 } from "./transport-v1";
import type { Engine } from "./engine";
import type { RedispatchAsk } from "./redispatch";
import { triggerProblem, type Triggers } from "./triggers";
import { electronProblem, latticeProblem } from "./graph-rules";
import { protocolErrors } from "./protocol";
import { argumentsOf } from "./arguments";
import { fromBase64, toBase64 } from "../shared/values";

export interface HttpRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  /** Parsed JSON body (undefined for GET). */
  readonly body: unknown;
  /** The body's text, as received. */
  readonly text?: string;
}

export interface HttpResponse {
  readonly status: number;
  readonly body: unknown;
}

export interface HandlerContext {
  readonly engine: Engine;
  /**
   * The dispatcher's status. `collectGarbage` (`?gc=1`) asks for a full GC before memory is measured,
   * so a long fuzz run sees what is really kept; only honoured when node runs with --expose-gc.
   */
  readonly status: (options?: { readonly collectGarbage?: boolean }) => Record<string, unknown>;
  readonly shutdown: () => void;
  /** Rebuilds a stored lattice with new inputs into a transport graph (redispatch). */
  readonly redispatch: (dispatchId: string, ask: RedispatchAsk) => Promise<string>;
  readonly triggers: Triggers;
}

const invalid = (what: string, errors: string[]): HttpResponse => ({
  status: 400,
  body: { error: `invalid ${what}`, details: errors },
});

/** `?nodes=columns`: the node states as columns (ColumnarDispatchDetail); without it, an object per node. */
const columns = (req: HttpRequest): boolean => req.query.get("nodes") === "columns";

/** A 400 for a `nodes` form other than columns; undefined when the request is fine. */
function nodesForm(req: HttpRequest): HttpResponse | undefined {
  const form = req.query.get("nodes");
  return form === null || form === "columns" ? undefined : invalid("nodes form", [`nodes=${form}: only columns`]);
}

type Route = (ctx: HandlerContext, req: HttpRequest, params: string[]) => HttpResponse | Promise<HttpResponse>;

const routes: Array<[string, RegExp, Route]> = [
  [
    "GET",
    /^\/api\/v1\/status$/,
    (ctx, req) => ({ status: 200, body: ctx.status({ collectGarbage: req.query.get("gc") === "1" }) }),
  ],
  [
    "POST",
    /^\/api\/v1\/dispatches$/,
    (ctx, req) => {
      const errors = protocolErrors("dispatchRequest", req.body);
      if (errors.length) return invalid("dispatch request", errors);
      const body = req.body as DispatchRequest;
      const problem = latticeProblem(body.lattice);
      if (problem) return invalid("dispatch request", [problem]);
      const triggerProblems = (body.triggers ?? []).flatMap((t, i) => {
        const why = triggerProblem(t);
        return why ? [`triggers[${i}]: ${why}`] : [];
      });
      if (triggerProblems.length) return invalid("dispatch request", triggerProblems);
      const inputs = fromBase64(body.inputs);
      argumentsOf(inputs, "inputs"); // a redispatch or a resume reads them later: checked before they are stored
      const dispatchId = ctx.engine.submit({
        graph: body.graph as unknown as TransportGraph | TransportGraphV1,
        lattice: body.lattice,
        inputs,
        ...(body.volume !== undefined ? { volume: body.volume } : {}),
        ...(req.text !== undefined ? { text: req.text } : {}),
      });
      if (body.triggers?.length) ctx.triggers.add(dispatchId, body.triggers);
      return { status: 201, body: { dispatchId } };
    },
  ],
  [
    "GET",
    /^\/api\/v1\/dispatches$/,
    (ctx, req) => {
      const given = Number(req.query.get("limit") ?? 50);
      if (!Number.isFinite(given))
        return invalid("query", [`limit=${req.query.get("limit")}: a number from 1 to 1000`]);
      const limit = Math.min(Math.max(Math.floor(given), 1), 1000);
      const status = req.query.get("status") || undefined;
      if (status !== undefined && !isStatus(status))
        return invalid("query", [`status=${status}: one of ${STATUSES.join(", ")}`]);
      const parentId = req.query.get("parentId") || undefined;
      const latticeName = req.query.get("latticeName") || undefined;
      const filters = {
        limit,
        ...(status ? { status } : {}),
        ...(parentId ? { parentId } : {}),
        ...(latticeName ? { latticeName } : {}),
      };
      return { status: 200, body: { dispatches: ctx.engine.list(filters) } };
    },
  ],
  [
    "GET",
    /^\/api\/v1\/triggers$/,
    (ctx, req) => {
      const dispatchId = req.query.get("dispatchId") || undefined;
      const all = req.query.get("all") === "1";
      return { status: 200, body: { triggers: ctx.triggers.list({ all, ...(dispatchId ? { dispatchId } : {}) }) } };
    },
  ],
  [
    "POST",
    /^\/api\/v1\/triggers\/([^/]+)\/stop$/,
    (ctx, _req, [id]) => ({ status: 200, body: ctx.triggers.stop(id!) }),
  ],
  [
    "GET",
    /^\/api\/v1\/dispatches\/([^/]+)$/,
    (ctx, req, [id]) => nodesForm(req) ?? { status: 200, body: ctx.engine.detail(id!, { columns: columns(req) }) },
  ],
  [
    "GET",
    /^\/api\/v1\/dispatches\/([^/]+)\/wait$/,
    async (ctx, req, [id]) => {
      const refused = nodesForm(req);
      if (refused) return refused;
      const timeoutMs = Math.min(Number(req.query.get("timeoutMs") ?? 30_000) || 30_000, 300_000);
      // The timeout aborts the wait: the engine then drops this waiter (a poll loop kept one each).
      const gaveUp = new AbortController();
      // Asked before the timer is set: an unknown id throws here, and must leave no timer behind.
      const finished = ctx.engine.whenFinished(id!, gaveUp.signal);
      const timer = setTimeout(() => gaveUp.abort(), timeoutMs);
      await finished;
      clearTimeout(timer);
      return { status: 200, body: ctx.engine.detail(id!, { columns: columns(req) }) };
    },
  ],
  [
    "GET",
    /^\/api\/v1\/dispatches\/([^/]+)\/summary$/,
    (ctx, _req, [id]) => ({ status: 200, body: ctx.engine.summary(id!) }),
  ],
  [
    "GET",
    /^\/api\/v1\/dispatches\/([^/]+)\/inputs$/,
    (ctx, _req, [id]) => ({ status: 200, body: { inputs: toBase64(ctx.engine.inputs(id!)) } }),
  ],
  [
    "GET",
    /^\/api\/v1\/dispatches\/([^/]+)\/outputs$/,
    (ctx, _req, [id]) => ({ status: 200, body: ctx.engine.outputs(id!) }),
  ],
  [
    "GET",
    /^\/api\/v1\/dispatches\/([^/]+)\/graph$/,
    (ctx, _req, [id]) => ({ status: 200, body: ctx.engine.graph(id!) }),
  ],
  [
    "GET",
    /^\/api\/v1\/dispatches\/([^/]+)\/nodes\/(\d+)$/,
    (ctx, _req, [id, node]) => ({ status: 200, body: ctx.engine.nodeDetail(id!, Number(node)) }),
  ],
  [
    "POST",
    /^\/api\/v1\/dispatches\/([^/]+)\/cancel$/,
    (ctx, req, [id]) => {
      const errors = protocolErrors("cancelRequest", req.body ?? {});
      if (errors.length) return invalid("cancel request", errors);
      ctx.engine.cancel(id!, (req.body as CancelRequest | undefined)?.nodeIds);
      return { status: 200, body: { dispatchId: id } };
    },
  ],
  [
    "POST",
    /^\/api\/v1\/dispatches\/([^/]+)\/redispatch$/,
    async (ctx, req, [id]) => {
      const errors = protocolErrors("redispatchRequest", req.body ?? {});
      if (errors.length) return invalid("redispatch request", errors);
      const body = (req.body ?? {}) as RedispatchRequest;
      // The schema checked their shape (as the graph's electrons'); the rules, their references.
      const replaced = Object.entries(body.replaceElectrons ?? {}) as unknown as Array<[string, ElectronSpec]>;
      const problem = electronProblem(
        replaced.map(([, spec]) => spec),
        (e) => `replaceElectrons[${JSON.stringify(replaced[e]![0])}]`,
      );
      if (problem) return invalid("redispatch request", [problem]);
      const inputs = body.inputs === undefined ? undefined : fromBase64(body.inputs);
      return {
        status: 201,
        body: {
          dispatchId: await ctx.redispatch(id!, {
            ...(inputs ? { inputs } : {}),
            reusePreviousResults: body.reusePreviousResults ?? false,
            ...(replaced.length ? { replaceElectrons: Object.fromEntries(replaced) } : {}),
          }),
        },
      };
    },
  ],
  [
    "POST",
    /^\/api\/v1\/delete$/,
    (ctx, req) => {
      const errors = protocolErrors("deleteRequest", req.body ?? {});
      if (errors.length) return invalid("delete request", errors);
      const body = req.body as DeleteRequest;
      const options = { volumes: body.volumes === true };
      return {
        status: 200,
        body: "all" in body ? ctx.engine.purge(options) : ctx.engine.delete(body.dispatchIds, options),
      };
    },
  ],
  [
    "POST",
    /^\/api\/v1\/shutdown$/,
    (ctx) => {
      setImmediate(ctx.shutdown);
      return { status: 202, body: { stopping: true } };
    },
  ],
];

export async function handleHttp(ctx: HandlerContext, req: HttpRequest): Promise<HttpResponse> {
  let pathMatched = false;
  for (const [method, pattern, route] of routes) {
    const match = pattern.exec(req.path);
    if (!match) continue;
    pathMatched = true;
    if (method !== req.method) continue;
    let params: string[];
    try {
      params = match.slice(1).map(decodeURIComponent);
    } catch {
      return { status: 400, body: { error: `the path ${req.path} has a malformed percent-encoding` } };
    }
    return route(ctx, req, params);
  }
  return pathMatched
    ? { status: 405, body: { error: `${req.method} is not allowed on ${req.path}` } }
    : { status: 404, body: { error: `no such endpoint: ${req.path}` } };
}
