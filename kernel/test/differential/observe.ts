// What users watch a dispatch through, checked against its Result in the differential test:
// - the websocket (README "Protocol", schema/protocol.schema.json), followed as the client's watch.ts
//   and the notebook's live DAG follow it: subscribe → a snapshot, then updates numbered densely
//   (several in one `batch` frame); a second subscriber drops its connection after a few updates and
//   resubscribes with `afterSeq`, and must get exactly what it missed; once the dispatch is final,
//   nothing more comes, and the stored events (afterSeq 0) replayed from nothing give every node's
//   final state. Every frame is valid by the schema, and the live state each subscriber ends with is
//   the Result's, node for node;
// - the DAG document (GET /api/v1/dispatches/{id}/graph, what a notebook draws): the graph as the
//   kernel built it (nodes, edges), and each node's status, attempts, timings, output and error as
//   in the Result.
// And a dispatch sent as a version 1 transport graph (an object per node and edge, as older clients
// send it), which must run as the same graph in columns does.
import { Ajv, type ValidateFunction } from "ajv";
import { isDeepStrictEqual } from "node:util";
import WebSocket from "ws";
import * as ct from "valence-workflows";
import { dagSchema, protocolSchema, type NodeState, type ServerMessage } from "@valence/schema";
import { call, connect, type Connection } from "#src/client/connection.js";
import { encodeValue, kindOfLetter, toTransportGraph, type TransportGraph } from "#src/workflow/transport.js";
import { serializeLattice } from "#src/workflow/serialize/index.js";

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
ajv.addKeyword("tsType");
ajv.addSchema(dagSchema);
ajv.addSchema(protocolSchema);
let validators: { server: ValidateFunction; dag: ValidateFunction } | undefined;

function schemaProblems(kind: "server" | "dag", value: unknown): string[] {
  validators ??= {
    server: ajv.getSchema(`${protocolSchema.$id}#/definitions/serverMessage`)!,
    dag: ajv.getSchema(`${dagSchema.$id}`)!,
  };
  const validate = validators[kind];
  if (validate(value)) return [];
  return (validate.errors ?? []).slice(0, 5).map((e) => `${e.instancePath || "(message)"} ${e.message}`);
}

const FINAL = new Set(["COMPLETED", "FAILED", "CANCELLED"]);

/** A message as a subscriber sees it: a batch's updates one by one, each with the frame it came in. */
type Seen = Exclude<ServerMessage, { type: "batch" }>;

/** One websocket to the dispatcher's events, as the client opens it. */
class Feed {
  readonly seen: Seen[] = [];
  readonly problems: string[] = [];
  closed = false;
  private wake: (() => void) | undefined;

  private constructor(private readonly socket: WebSocket) {
    socket.on("message", (data) => {
      let message: ServerMessage;
      try {
        message = JSON.parse(data.toString()) as ServerMessage;
      } catch {
        this.problems.push(`a frame is not JSON: ${data.toString().slice(0, 100)}`);
        return;
      }
      const invalid = schemaProblems("server", message);
      if (invalid.length) this.problems.push(`a ${message.type} frame breaks the schema: ${invalid.join("; ")}`);
      if (message.type === "batch") {
        if (message.updates.some((u) => u.dispatchId !== message.dispatchId)) {
          this.problems.push("a batch carries updates of another dispatch");
        }
        this.seen.push(...message.updates);
      } else this.seen.push(message);
      this.wake?.();
    });
    socket.on("close", () => {
      this.closed = true;
      this.wake?.();
    });
  }

  static open(connection: Connection): Promise<Feed> {
    const url = `${connection.url.replace(/^http/, "ws")}/api/v1/events`;
    const socket = new WebSocket(url, { headers: { authorization: `Bearer ${connection.token}` } });
    return new Promise((resolve, reject) => {
      socket.once("open", () => resolve(new Feed(socket)));
      socket.once("error", reject);
    });
  }

  send(message: { type: "subscribe"; dispatchId: string; afterSeq?: number }): void {
    this.socket.send(JSON.stringify(message));
  }

  /** Waits until `test` holds for some message from index `from` on; returns its index (-1: timed out or closed). */
  async until(test: (message: Seen, index: number) => boolean, from: number, timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (let at = from; ;) {
      for (; at < this.seen.length; at++) if (test(this.seen[at]!, at)) return at;
      const left = deadline - Date.now();
      if (left <= 0 || this.closed) return -1;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  close(): void {
    this.socket.close();
  }
}

const isFinalMessage = (message: Seen): boolean =>
  message.type === "snapshot"
    ? FINAL.has(message.dispatch.status)
    : message.type === "update" && message.dispatch !== undefined && FINAL.has(message.dispatch.status);

/** A dispatch id no dispatch has: subscribing to it is answered with an error, after what was queued. */
const NO_DISPATCH = "no-such-dispatch";

export interface ObserveOptions {
  /** The second subscriber drops its connection after this many updates (0: right after the snapshot)… */
  readonly cutAfter: number;
  /** …and resubscribes on a new one this many ms later. */
  readonly pauseMs: number;
}

/** Following one dispatch: started right after it is sent, checked once its Result is final. */
export interface Observation {
  /** Every disagreement between what the subscribers saw, the DAG document and the Result. */
  check(result: ct.Result, built: ct.Graph): Promise<string[]>;
}

/** Starts following `dispatchId` over two websockets (one resubscribes midway) as a client does. */
export async function observe(dispatchId: string, options: ObserveOptions): Promise<Observation> {
  const connection = await connect();
  const whole = await Feed.open(connection);
  whole.send({ type: "subscribe", dispatchId });
  const first = await Feed.open(connection);
  first.send({ type: "subscribe", dispatchId });
  // The second subscriber: a snapshot and a few updates, a dropped connection, then afterSeq.
  const resumed = (async (): Promise<{ before: Seen[]; after?: { afterSeq: number; feed: Feed } }> => {
    const cut = await first.until((m, index) => isFinalMessage(m) || index >= options.cutAfter, 0, 120_000);
    first.close();
    const before = first.seen.slice(0, cut < 0 ? first.seen.length : cut + 1);
    const last = before[before.length - 1];
    if (!last || isFinalMessage(last) || last.type === "error") return { before };
    await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
    const feed = await Feed.open(connection);
    feed.send({ type: "subscribe", dispatchId, afterSeq: last.seq });
    return { before, after: { afterSeq: last.seq, feed } };
  })();
  return {
    check: async (result, built) => {
      const problems: string[] = [];
      const { before, after } = await resumed;
      // The final update comes after the commit getResult saw; a little slack for the frame.
      const wholeEnd = await whole.until(isFinalMessage, 0, 10_000);
      const afterEnd = after ? await after.feed.until(isFinalMessage, 0, 10_000) : -1;
      if (wholeEnd < 0) problems.push(`websocket: no final status after ${whole.seen.length} messages`);
      if (after && afterEnd < 0) problems.push(`websocket: after resubscribing, no final status`);
      // Nothing after the final status, and a subscription (afterSeq 0) to the ended dispatch
      // replays the stored events; a subscription to no dispatch fences what the dispatcher sent.
      const live = whole.seen.length;
      whole.send({ type: "subscribe", dispatchId, afterSeq: 0 });
      whole.send({ type: "subscribe", dispatchId: NO_DISPATCH });
      const fence = await whole.until((m) => m.type === "error" && m.dispatchId === NO_DISPATCH, live, 10_000);
      if (fence < 0) problems.push("websocket: no error for a subscription to an unknown dispatch");
      const stored = whole.seen.slice(live, fence < 0 ? undefined : fence);
      if (wholeEnd >= 0 && wholeEnd !== live - 1) {
        problems.push(`websocket: ${live - 1 - wholeEnd} messages after the final status`);
      }
      whole.close();
      after?.feed.close();
      problems.push(...whole.problems, ...first.problems, ...(after?.feed.problems ?? []));

      const wholeLive = whole.seen.slice(0, live);
      problems.push(...streamProblems("subscriber", wholeLive, dispatchId, result));
      const resumedLive = [...before, ...(after ? after.feed.seen : [])];
      problems.push(...streamProblems("resubscriber", resumedLive, dispatchId, result));
      if (after && after.feed.seen[0]?.type === "update" && after.feed.seen[0].seq !== after.afterSeq + 1) {
        problems.push(`websocket: after afterSeq ${after.afterSeq}, the first update is ${after.feed.seen[0].seq}`);
      }
      // Both saw the same update under each seq they both saw.
      const bySeq = new Map(wholeLive.filter((m) => m.type === "update").map((m) => [m.seq, m]));
      for (const message of resumedLive) {
        if (message.type !== "update" || !bySeq.has(message.seq)) continue;
        if (!isDeepStrictEqual(message, bySeq.get(message.seq))) {
          problems.push(`websocket: two subscribers got different updates ${message.seq}`);
          break;
        }
      }
      problems.push(...storedProblems(stored, bySeq, result, built));
      problems.push(...(await dagProblems(result, built)));
      return problems;
    },
  };
}

/** The messages one subscriber saw: a snapshot (or none, after afterSeq), then dense updates, ending where the Result is. */
function streamProblems(who: string, seen: readonly Seen[], dispatchId: string, result: ct.Result): string[] {
  const problems: string[] = [];
  const [snapshot, ...updates] = seen;
  if (snapshot?.type !== "snapshot")
    return [`websocket ${who}: began with ${snapshot?.type ?? "nothing"}, not a snapshot`];
  const states = new Map(snapshot.nodes.map((n) => [n.id, n]));
  let dispatch = snapshot.dispatch;
  let seq = snapshot.seq;
  for (const message of updates) {
    if (message.type !== "update") {
      problems.push(`websocket ${who}: a ${message.type} after the snapshot`);
      continue;
    }
    if (message.dispatchId !== dispatchId)
      problems.push(`websocket ${who}: an update of dispatch ${message.dispatchId}`);
    if (message.seq !== seq + 1) problems.push(`websocket ${who}: update ${message.seq} after ${seq}`);
    seq = message.seq;
    if (message.node) states.set(message.node.id, message.node);
    if (message.dispatch) dispatch = message.dispatch;
  }
  if (dispatch.status !== result.status) {
    problems.push(`websocket ${who}: the dispatch ends ${dispatch.status}, the Result says ${result.status}`);
  }
  if (dispatch.error?.message !== result.error?.message) {
    problems.push(
      `websocket ${who}: the dispatch's error is "${dispatch.error?.message}", the Result's "${result.error?.message}"`,
    );
  }
  problems.push(...stateProblems(`websocket ${who}`, states, result));
  return problems.slice(0, 8);
}

/** Node states against the Result's, node for node (a live `waiting` is never stored: not compared). */
function stateProblems(who: string, states: ReadonlyMap<number, NodeState>, result: ct.Result): string[] {
  const problems: string[] = [];
  for (const node of result.nodes) {
    const state = states.get(node.id);
    if (!state) problems.push(`${who}: node ${node.id} never seen`);
    else if (!isDeepStrictEqual(state, node)) {
      problems.push(
        `${who}: node ${node.id} last seen ${JSON.stringify(state)}, the Result has ${JSON.stringify(node)}`,
      );
    }
  }
  if (states.size !== result.nodes.length)
    problems.push(`${who}: ${states.size} nodes, the Result has ${result.nodes.length}`);
  return problems;
}

/**
 * The stored events of the ended dispatch: seq 1… dense, the live ones where both exist, and a replay
 * from the dispatch as created (parameters complete, holding their value; every other node new) that
 * ends where the Result is.
 */
function storedProblems(
  stored: readonly Seen[],
  live: ReadonlyMap<number, Seen>,
  result: ct.Result,
  built: ct.Graph,
): string[] {
  const problems: string[] = [];
  const states = new Map<number, NodeState>();
  for (const node of built.nodes) {
    if (node.kind === "parameter") states.set(node.id, { id: node.id, status: "COMPLETED", attempts: 0 });
  }
  let dispatch: Seen | undefined;
  stored.forEach((message, k) => {
    if (message.type !== "update") return problems.push(`stored events: a ${message.type}`);
    if (message.seq !== k + 1) problems.push(`stored events: event ${message.seq} at place ${k + 1}`);
    const seen = live.get(message.seq);
    if (seen && !isDeepStrictEqual(seen, message)) {
      problems.push(`stored events: ${JSON.stringify(message)} was sent live as ${JSON.stringify(seen)}`);
    }
    if (message.node) states.set(message.node.id, message.node);
    if (message.dispatch) dispatch = message;
  });
  if (dispatch?.type !== "update" || dispatch.dispatch?.status !== result.status) {
    problems.push(`stored events: the dispatch does not end ${result.status}`);
  }
  problems.push(...stateProblems("stored events replayed", states, result));
  return problems.slice(0, 8);
}

/** The DAG document: the kernel's graph, and every node's state as the Result has it. */
export async function dagProblems(result: ct.Result, built: ct.Graph): Promise<string[]> {
  const problems: string[] = [];
  const drawn = await new ct.Dispatch(result.dispatchId, result.latticeName).graph();
  const invalid = schemaProblems("dag", drawn);
  if (invalid.length) problems.push(`DAG document: breaks the schema: ${invalid.join("; ")}`);
  if (drawn.dispatch?.id !== result.dispatchId || drawn.dispatch.status !== result.status) {
    problems.push(`DAG document: dispatch ${JSON.stringify(drawn.dispatch)}, the Result is ${result.status}`);
  }
  const local = built.toJSON();
  const shape = (nodes: typeof local.nodes) => nodes.map((n) => [n.id, n.kind, n.name, n.key, n.value, n.options]);
  if (!isDeepStrictEqual(shape(drawn.nodes), shape(local.nodes))) {
    problems.push("DAG document: its nodes are not the graph the lattice built");
  }
  if (!isDeepStrictEqual(drawn.edges, local.edges)) problems.push("DAG document: its edges are not the lattice's");
  if (!isDeepStrictEqual(drawn.output, local.output)) problems.push("DAG document: its output is not the lattice's");
  const states = new Map(result.nodes.map((n) => [n.id, n]));
  for (const node of drawn.nodes) {
    const state = states.get(node.id);
    if (!state) continue;
    const fields = {
      status: [node.status, state.status],
      attempts: [node.attempts ?? 0, state.attempts],
      startedAt: [node.startedAt, state.startedAt],
      endedAt: [node.endedAt, state.endedAt],
      output: [node.output, state.output],
      error: [node.error, state.error],
      reused: [node.reused ?? false, state.reused ?? false],
    };
    for (const [field, [shown, stated]] of Object.entries(fields)) {
      if (!isDeepStrictEqual(shown, stated)) {
        problems.push(
          `DAG document: node ${node.id} ${field} ${JSON.stringify(shown)}, the Result's ${JSON.stringify(stated)}`,
        );
      }
    }
  }
  return problems.slice(0, 8);
}

/**
 * Sends `lattice(...args)` as a version 1 transport graph, made from the graph in columns (the same
 * nodes, edges, options and values), as an older client would; returns the dispatch id.
 */
export async function dispatchVersion1<A extends unknown[]>(lattice: ct.Lattice<A, unknown>, args: A): Promise<string> {
  const built = lattice.build(...args);
  const body = {
    graph: versionOne(toTransportGraph(built)),
    lattice: serializeLattice(lattice),
    inputs: encodeValue(args, `the arguments of lattice "${lattice.latticeName}"`),
  };
  return (await call<{ dispatchId: string }>("POST", "/api/v1/dispatches", body)).dispatchId;
}

/** A graph in columns as version 1: an object per node (its value in base64 of its own) and per edge. */
export function versionOne(graph: TransportGraph) {
  const { nodes, edges } = graph;
  const values = Buffer.from(nodes.values, "base64");
  let at = 0;
  return {
    version: 1 as const,
    latticeName: graph.latticeName,
    electrons: graph.electrons,
    nodes: [...nodes.kind].map((letter, id) => {
      const length = nodes.valueLength[id]!;
      const electron = nodes.electron[id]!;
      const options = graph.options[nodes.options[id]!];
      const key = nodes.keys?.[id];
      return {
        id,
        kind: kindOfLetter(letter)!,
        name: graph.names[nodes.name[id]!]!,
        ...(electron >= 0 ? { electron } : {}),
        ...(options ? { options } : {}),
        ...(length > 0 ? { value: values.subarray(at, (at += length)).toString("base64") } : {}),
        ...(key !== undefined ? { key } : {}),
      };
    }),
    edges: edges.source.map((source, e) => {
      const position = edges.position[e]!;
      const key = edges.keys?.[e];
      return {
        source,
        target: edges.target[e]!,
        kind: edges.kind[e] === "w" ? ("wait" as const) : ("data" as const),
        ...(position >= 0 ? { position } : {}),
        ...(key !== undefined ? { key } : {}),
      };
    }),
    output: graph.output,
  };
}
