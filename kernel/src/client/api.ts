// The client API users dispatch with, the same in a notebook kernel and in a script: dispatch,
// dispatchSync, getResult, cancel, listDispatches, redispatch.
import type {
  ColumnarDispatchDetail,
  DagDocument,
  DeleteReply,
  DispatchDetail,
  DispatchInputs,
  DispatchOutputs,
  DispatchSummary,
  NodeDetail,
  NodeState,
  Status,
} from "@valence/schema";
import { emitRunEvent, hasRunListeners } from "./run-events";
import type { Graph } from "../workflow/graph";
import type { TransportGraph } from "../workflow/transport";
import { watchDispatch } from "./watch";
import type { Lattice } from "../workflow/lattice";
import type { Volume } from "../workflow/volume";
import { serializeElectron, serializeLattice, type ElectronSpec } from "../workflow/serialize";
import { electronDefinition, type AnyFunction } from "../workflow/definition";
import type { Electron } from "../workflow/electron";
import { encodeValue, toTransportGraph } from "../workflow/transport";
import { call, connect, dispatchPath, type Connection } from "./connection";
import type { TriggerSpec } from "./triggers";
import { Result, isFinal } from "./result";
import { Dispatch, dispatchIdOf, type DispatchRef } from "./dispatch-handle";

export interface GetResultOptions {
  /** Wait until the dispatch has finished. Default false: the state right now. */
  readonly wait?: boolean;
  /** With `wait`: give up after this many milliseconds and return the state then. Default: no limit. */
  readonly timeoutMs?: number;
  /** Only the dispatch's status and timings (a DispatchSummary), without its nodes or result. */
  readonly statusOnly?: boolean;
}

export interface RedispatchOptions {
  /** Take stored outputs for nodes whose function and inputs are unchanged. Default false. */
  readonly reusePreviousResults?: boolean;
  /**
   * New code for the electrons of these names, wherever the lattice calls them; the others keep the
   * code stored with the dispatch. With `reusePreviousResults`, what does not depend on them is reused.
   */
  readonly replaceElectrons?: Readonly<Record<string, Electron<never[], unknown>>>;
}

export interface DispatchOptions {
  /** Persistent storage every task of the dispatch sees as `ct.taskContext().volume.path`. */
  readonly volume?: Volume;
  /**
   * Dispatch the lattice again, with the same arguments, whenever one of these fires (`timeTrigger`,
   * `dirTrigger`), until stopped: the dispatcher keeps them, across its restarts.
   */
  readonly triggers?: readonly TriggerSpec[];
}

/**
 * `await dispatch(lattice)(...args)`: runs the dry run here, sends the graph, returns a handle on the
 * dispatch (it stands for the dispatch id: `${handle}`, getResult(handle), redispatch(handle)).
 */
export function dispatch<A extends unknown[], R>(
  lattice: Lattice<A, R>,
  options: DispatchOptions = {},
): (...args: A) => Promise<Dispatch<R>> {
  return async (...args: A) => {
    const { dispatchId, graph } = await submit(lattice, args, options);
    return new Dispatch<R>(dispatchId, lattice.latticeName, () => graph.document());
  };
}

/** Dispatches and waits for the result, reporting progress as run events (`valence run` draws bars). */
export function dispatchSync<A extends unknown[], R>(
  lattice: Lattice<A, R>,
  options: DispatchOptions = {},
): (...args: A) => Promise<Result<R>> {
  return async (...args: A) => {
    const { dispatchId, graph, connection } = await submit(lattice, args, options);
    // Only a progress display needs the live updates; getResult waits regardless.
    if (hasRunListeners()) await follow(connection, dispatchId, graph.built).catch(() => undefined);
    return getResult<R>(dispatchId, { wait: true });
  };
}

async function submit(
  lattice: Lattice<unknown[], unknown>,
  args: unknown[],
  options: DispatchOptions,
): Promise<{
  dispatchId: string;
  graph: { built: Graph; transport: TransportGraph; document: () => DagDocument };
  connection: Connection;
}> {
  const built = lattice.build(...args);
  // The document is drawn only if the dispatcher cannot be asked: no second walk of the graph per dispatch.
  const graph = { built, transport: toTransportGraph(built), document: () => built.toJSON() };
  const body = {
    graph: graph.transport,
    lattice: serializeLattice(lattice),
    inputs: encodeValue(args, `the arguments of lattice "${lattice.latticeName}"`),
    ...(options.volume ? { volume: options.volume.name } : {}),
    ...(options.triggers?.length ? { triggers: options.triggers } : {}),
  };
  const { dispatchId } = await call<{ dispatchId: string }>("POST", "/api/v1/dispatches", body);
  return { dispatchId, graph, connection: await connect() };
}

/** Turns the dispatch's live updates into run events until it is final. */
async function follow(connection: Connection, dispatchId: string, graph: Graph): Promise<void> {
  emitRunEvent({ type: "start", graph });
  const report = (node: NodeState): void => {
    const name = graph.nodes[node.id]?.name ?? String(node.id);
    const update = { node: node.id, name, status: node.status, attempt: node.attempts };
    emitRunEvent({ type: "node", graph, update: node.waiting ? { ...update, waiting: node.waiting } : update });
  };
  let error: Error | undefined;
  try {
    await watchDispatch(connection, dispatchId, (message) => {
      if (message.type === "snapshot")
        message.nodes
          .filter((n) => n.waiting !== undefined || (n.status !== "PENDING" && n.status !== "NEW_OBJECT"))
          .forEach(report);
      else if (message.type === "update" && message.node) report(message.node);
      else if (message.type === "update" && message.dispatch?.status === "FAILED")
        error = new Error(message.dispatch.error?.message);
    }).done;
  } finally {
    emitRunEvent({ type: "end", graph, ...(error ? { error } : {}) });
  }
}

/**
 * The dispatch's Result: status, result, error, timings and every node's state (`statusOnly`: its
 * status and timings alone). `wait`: once it has finished.
 */
export async function getResult<R = unknown>(
  dispatch: Dispatch<R> | DispatchRef,
  options: GetResultOptions & { readonly statusOnly: true },
): Promise<DispatchSummary>;
export async function getResult<R = unknown>(
  // `| DispatchRef`: a redispatch's handle (Dispatch<unknown>) may be read as the type its caller knows.
  dispatch: Dispatch<R> | DispatchRef,
  options?: GetResultOptions,
): Promise<Result<R>>;
export async function getResult<R = unknown>(
  dispatch: Dispatch<R> | DispatchRef,
  options: GetResultOptions = {},
): Promise<Result<R> | DispatchSummary> {
  const dispatchId = dispatchIdOf(dispatch);
  const path = dispatchPath(dispatchId);
  if (options.statusOnly && !options.wait) return call<DispatchSummary>("GET", `${path}/summary`);
  const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
  // Waiting goes straight to /wait, which answers at once for a final dispatch (404 for an unknown
  // one): a big dispatch's node states come once, not once more before the wait. They come as
  // columns, a fraction of the object form's bytes; Result makes the objects only if asked.
  type Detail = DispatchDetail | ColumnarDispatchDetail;
  const next = (): Promise<Detail> => {
    const left = deadline - Date.now();
    if (!options.wait || left <= 0) return call<Detail>("GET", `${path}?nodes=columns`);
    const timeoutMs = Math.ceil(Math.max(1, Math.min(30_000, left)));
    return call<Detail>("GET", `${path}/wait?nodes=columns&timeoutMs=${timeoutMs}`);
  };
  let detail = await next();
  while (options.wait && !isFinal(detail.dispatch.status) && Date.now() < deadline) detail = await next();
  if (options.statusOnly) return detail.dispatch;
  return new Result<R>(detail, {
    node: (nodeId) => nodeDetail(dispatchId, nodeId),
    graph: () => call<DagDocument>("GET", `${path}/graph`),
    inputs: () => call<DispatchInputs>("GET", `${path}/inputs`),
    outputs: () => call<DispatchOutputs>("GET", `${path}/outputs`),
  });
}

/** Cancels a dispatch, or only the given nodes and what depends on them. */
export async function cancel(dispatch: DispatchRef, nodeIds?: readonly number[]): Promise<void> {
  const dispatchId = dispatchIdOf(dispatch);
  await call("POST", dispatchPath(dispatchId, "/cancel"), nodeIds ? { nodeIds } : {});
}

export interface ListDispatchesOptions {
  /** At most this many, newest first (1 to 1,000; default 50). */
  readonly limit?: number;
  /** Only dispatches with this status. */
  readonly status?: Status;
  /** Only dispatches of the lattice with this name. */
  readonly latticeName?: string;
}

/** The newest dispatches, with their status and timings. */
export async function listDispatches(options: ListDispatchesOptions = {}): Promise<DispatchSummary[]> {
  const query = new URLSearchParams({ limit: String(options.limit ?? 50) });
  if (options.status) query.set("status", options.status);
  if (options.latticeName) query.set("latticeName", options.latticeName);
  const { dispatches } = await call<{ dispatches: DispatchSummary[] }>("GET", `/api/v1/dispatches?${query}`);
  return dispatches;
}

/**
 * Deletes finished dispatches for good, with their sublattices' dispatches, logs and outputs (with
 * `volumes`, also the volumes they named that no other dispatch names); `"all"`: every finished one.
 * An unfinished dispatch is refused (cancel it first).
 */
export async function deleteDispatches(
  dispatches: readonly DispatchRef[] | "all",
  options: { readonly volumes?: boolean } = {},
): Promise<DeleteReply> {
  const which = dispatches === "all" ? { all: true } : { dispatchIds: dispatches.map(dispatchIdOf) };
  return call<DeleteReply>("POST", "/api/v1/delete", { ...which, ...(options.volumes ? { volumes: true } : {}) });
}

/**
 * `await redispatch(id)(...newArgs)`: the stored lattice, rebuilt by the dispatcher with new inputs
 * (or, with no arguments, the original ones). Needs neither the source nor this kernel.
 */
export function redispatch<R = unknown>(
  dispatch: Dispatch<R> | DispatchRef,
  options: RedispatchOptions = {},
): (...args: unknown[]) => Promise<Dispatch<R>> {
  const dispatchId = dispatchIdOf(dispatch);
  return async (...args: unknown[]) => {
    const body = {
      ...(args.length ? { inputs: encodeValue(args, `the arguments of redispatch ${dispatchId}`) } : {}),
      ...(options.reusePreviousResults ? { reusePreviousResults: true } : {}),
      ...(options.replaceElectrons ? { replaceElectrons: replacementSpecs(options.replaceElectrons) } : {}),
    };
    const { dispatchId: newId } = await call<{ dispatchId: string }>(
      "POST",
      dispatchPath(dispatchId, "/redispatch"),
      body,
    );
    const latticeName = typeof dispatch === "string" ? (await getResult(dispatchId)).latticeName : dispatch.latticeName;
    return new Dispatch<R>(newId, latticeName);
  };
}

function replacementSpecs(electrons: Readonly<Record<string, unknown>>): Record<string, ElectronSpec> {
  return Object.fromEntries(
    Object.entries(electrons).map(([name, electron]) => {
      if (!electronDefinition(electron)) throw new TypeError(`replaceElectrons["${name}"] is not an electron`);
      return [name, serializeElectron(electron as AnyFunction)];
    }),
  );
}

function nodeDetail(dispatchId: string, nodeId: number): Promise<NodeDetail> {
  return call<NodeDetail>("GET", dispatchPath(dispatchId, `/nodes/${nodeId}`));
}
