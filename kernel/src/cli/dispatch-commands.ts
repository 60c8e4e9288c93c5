// `valence list | show | logs | cancel | delete | purge`: the user's dispatches from a terminal, through the dispatcher
// (started in the background when none runs, as a script's first dispatch would). Tables for people,
// `--json` for scripts.
import {
  STATUSES,
  isStatus,
  isTaskNode,
  type DagDocument,
  type DagNode,
  type DeleteReply,
  type DispatchSummary,
  type NodeDetail,
} from "@valence/schema";
import { cancel as cancelDispatch, deleteDispatches, getResult, listDispatches } from "../client/api";
import { call, connect, dispatchPath, type Connection } from "../client/connection";
import { isFinal } from "../client/result";
import { watchDispatch } from "../client/watch";
import { colours, paint, short, statusText, table, took, when } from "./terminal";

export interface ReadOptions {
  readonly dataDir?: string;
  readonly json?: boolean;
}

/** The dispatcher of `options.dataDir` (started in the background if none runs). */
export function dispatcher(options: ReadOptions): Promise<Connection> {
  return connect(options.dataDir ? { dataDir: options.dataDir } : {});
}

export const print = (text: string): void => void process.stdout.write(`${text}\n`);

export async function list(
  options: ReadOptions & { readonly status?: string; readonly name?: string; readonly limit?: string },
): Promise<void> {
  const status = options.status?.toUpperCase();
  if (status !== undefined && !isStatus(status))
    throw new Error(`--status ${options.status}: one of ${STATUSES.join(", ").toLowerCase()}`);
  const limit = options.limit === undefined ? 20 : Number(options.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new Error(`--limit ${options.limit}: 1 to 1000`);
  await dispatcher(options);
  const dispatches = await listDispatches({
    limit,
    ...(status ? { status } : {}),
    ...(options.name ? { latticeName: options.name } : {}),
  });
  if (options.json) return print(JSON.stringify(dispatches, null, 2));
  if (!dispatches.length) return print("no dispatches");
  const on = colours();
  const row = (d: DispatchSummary) => [
    d.id,
    d.latticeName,
    statusText(d.status, on),
    when(d.createdAt),
    took(d.startedAt, d.endedAt),
    d.error
      ? short(d.error.message, 50)
      : d.parentId
        ? `sublattice of ${d.parentId} (node ${d.parentNode})`
        : d.triggerId
          ? `by trigger ${d.triggerId}`
          : "",
  ];
  print(table(["ID", "LATTICE", "STATUS", "CREATED", "TOOK", ""], dispatches.map(row)));
}

export async function show(id: string, options: ReadOptions): Promise<void> {
  await dispatcher(options);
  const result = await getResult(id);
  const graph = await call<DagDocument>("GET", dispatchPath(id, "/graph"));
  if (options.json) return print(JSON.stringify({ ...result.toJSON(), graph }, null, 2));
  const on = colours();
  print(result.toString().replace(result.status, statusText(result.status, on)));
  if (result.startTime) print(`  started ${when(result.startTime.getTime())}`);
  if (result.endTime) print(`  ended   ${when(result.endTime.getTime())}`);
  const after = new Map<number, string[]>();
  for (const edge of graph.edges) {
    const mark = edge.kind === "wait" ? "~" : "";
    after.set(edge.target, [...(after.get(edge.target) ?? []), `${mark}${edge.source}`]);
  }
  const row = (n: DagNode) => [
    String(n.id),
    n.name,
    n.kind,
    n.status ? statusText(n.status, on) : "",
    isTaskNode(n) ? String(n.attempts ?? 0) : "",
    took(n.startedAt, n.endedAt),
    (after.get(n.id) ?? []).join(","),
    n.error ? red(`${n.error.name}: ${short(n.error.message)}`, on) : n.reused ? "(reused)" : (n.output?.preview ?? ""),
  ];
  print("");
  print(table(["NODE", "NAME", "KIND", "STATUS", "TRIES", "TOOK", "AFTER", "OUTPUT / ERROR"], graph.nodes.map(row)));
  print(`\nAFTER: the nodes it takes data from (~: waits for only). Logs: valence logs ${id}`);
}

const red = (text: string, on: boolean) => paint(text, 31, on);

export async function logs(
  id: string,
  nodeId: string | undefined,
  options: ReadOptions & { readonly follow?: boolean },
): Promise<void> {
  if (nodeId !== undefined && !/^\d+$/.test(nodeId)) throw new Error(`node ${nodeId}: a node id (a number)`);
  const connection = await dispatcher(options);
  const graph = await call<DagDocument>("GET", dispatchPath(id, "/graph"));
  const names = new Map(graph.nodes.map((n) => [n.id, n.name]));
  if (nodeId !== undefined && !names.has(Number(nodeId))) throw new Error(`dispatch ${id} has no node ${nodeId}`);
  const wanted = nodeId !== undefined ? [Number(nodeId)] : graph.nodes.filter(isTaskNode).map((n) => n.id);
  const printed = new Map<number, number>(); // node → lines already printed
  const on = colours();
  const printNew = async (node: number) => {
    const detail = await call<NodeDetail>("GET", dispatchPath(id, `/nodes/${node}`));
    const seen = printed.get(node) ?? 0;
    for (const line of detail.logs.slice(seen)) {
      if (options.json) print(JSON.stringify({ node, name: names.get(node), ...line }));
      else {
        const where = `${names.get(node)}#${node}${line.attempt > 1 ? ` try ${line.attempt}` : ""}`;
        const text = line.text.replace(/\n$/, ""); // console.log's own newline
        print(`${when(line.at)} ${where} ${line.stream === "stderr" ? red(text, on) : text}`);
      }
    }
    printed.set(node, detail.logs.length);
  };
  for (const node of wanted) await printNew(node);
  if (!options.follow) return;
  // Following: a node's lines are read again each time it changes state, until the dispatch is final.
  const interesting = new Set(wanted);
  let chain = Promise.resolve();
  await watchDispatch(connection, id, (message) => {
    const nodes =
      message.type === "snapshot" ? message.nodes : message.type === "update" && message.node ? [message.node] : [];
    for (const n of nodes) if (interesting.has(n.id)) chain = chain.then(() => printNew(n.id));
  }).done;
  await chain;
  for (const node of wanted) await printNew(node);
}

export async function cancel(id: string, nodeIds: string[], options: { readonly dataDir?: string }): Promise<void> {
  const nodes = nodeIds.map((n) => {
    if (!/^\d+$/.test(n)) throw new Error(`node ${n}: a node id (a number)`);
    return Number(n);
  });
  await dispatcher(options);
  const before = await getResult(id);
  if (isFinal(before.status)) return print(`dispatch ${id} is already ${before.status}`);
  await cancelDispatch(id, nodes.length ? nodes : undefined);
  print(nodes.length ? `cancelling nodes ${nodes.join(", ")} of ${id}` : `cancelling dispatch ${id}`);
}

export async function remove(ids: string[], options: ReadOptions & { readonly volumes?: boolean }): Promise<void> {
  await dispatcher(options);
  const reply = await deleteDispatches(ids, options.volumes ? { volumes: true } : {});
  if (options.json) return print(JSON.stringify(reply, null, 2));
  print(deletedText(reply));
}

export async function purge(
  options: ReadOptions & { readonly volumes?: boolean; readonly yes?: boolean },
): Promise<void> {
  await dispatcher(options);
  if (!options.yes) {
    if (!process.stdin.isTTY) throw new Error("purge deletes every finished dispatch: pass --yes to confirm");
    const finished = (await listDispatches({ limit: 1000 })).filter((d) => isFinal(d.status)).length;
    const question = `Delete ${finished >= 1000 ? "all" : finished} finished dispatch(es), their logs and outputs${options.volumes ? " and volumes" : ""}? [y/N] `;
    if (!(await confirm(question))) return print("nothing deleted");
  }
  const reply = await deleteDispatches("all", options.volumes ? { volumes: true } : {});
  if (options.json) return print(JSON.stringify(reply, null, 2));
  print(deletedText(reply));
}

function deletedText(reply: DeleteReply): string {
  const volumes = reply.volumes.length ? `, volumes ${reply.volumes.join(", ")}` : "";
  const kept = reply.kept ? `; ${reply.kept} unfinished kept` : "";
  return `deleted ${reply.deleted.length} dispatch(es)${volumes}${kept}`;
}

async function confirm(question: string): Promise<boolean> {
  const readline = await import("node:readline/promises");
  const prompt = readline.createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await prompt.question(question)).trim());
  } finally {
    prompt.close();
  }
}
