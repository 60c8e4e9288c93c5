// What is drawn of a DAG document: helper nodes hidden on request (their edges rejoined so the flow
// stays visible), and wide fan-outs folded into one "×N" node per group of look-alike siblings
// (same electron, same task parents and children) unless the user expanded that group.
import type { DagDocument, DagNode, Status } from "./schema/dag.generated";
import { isTaskNode } from "./schema/display";

export interface ShapeOptions {
  /** Hide parameters, collections and accessors; edges through them join their ends. */
  readonly hideHelpers: boolean;
  /** Fold a group of more siblings than this into one node; 0 never folds. */
  readonly collapseThreshold: number;
  /** Keys of groups the user expanded. */
  readonly expanded: ReadonlySet<string>;
}

export interface GroupCounts {
  total: number;
  completed: number;
  running: number;
  failed: number;
  /** Members whose executor holds them, unable to place them yet (see DagNode.waiting). */
  waiting?: number;
}

export interface ShapedNode {
  /** Node id, or a negative id for a folded group. */
  readonly id: number;
  readonly node: DagNode;
  /** Present on a folded group: its key (for expanding), members and their progress. */
  readonly group?: { key: string; members: number[]; counts: GroupCounts };
}

export interface ShapedEdge {
  readonly source: number;
  readonly target: number;
  readonly kind: "data" | "wait";
}

export interface ShapedGraph {
  readonly nodes: ShapedNode[];
  readonly edges: ShapedEdge[];
  /** Which drawn node stands for each document node (itself, its group, or none when hidden). */
  readonly drawnAs: Map<number, number>;
}

export const isHelper = (node: DagNode): boolean => !isTaskNode(node);

export function groupCounts(members: readonly DagNode[]): GroupCounts {
  const counts = { total: members.length, completed: 0, running: 0, failed: 0, waiting: 0 };
  for (const { status, waiting } of members) {
    if (status === "COMPLETED") counts.completed += 1;
    else if (status === "RUNNING") counts.running += 1;
    else if (status === "FAILED") counts.failed += 1;
    if (waiting !== undefined) counts.waiting += 1;
  }
  return counts;
}

/** One status for a group: failed beats running beats pending; completed only when all are. */
export function groupStatus(counts: GroupCounts, members: readonly DagNode[]): Status {
  if (counts.failed) return "FAILED";
  if (counts.running) return "RUNNING";
  if (counts.completed === counts.total) return "COMPLETED";
  if (members.some((node) => node.status === "CANCELLED")) return "CANCELLED";
  return members.some((node) => node.status && node.status !== "NEW_OBJECT") ? "PENDING" : "NEW_OBJECT";
}

export function shapeGraph(document: DagDocument, options: ShapeOptions): ShapedGraph {
  const byId = new Map(document.nodes.map((node) => [node.id, node]));
  let edges: ShapedEdge[] = document.edges.map(({ source, target, kind }) => ({ source, target, kind }));
  let visible = document.nodes;
  if (options.hideHelpers) {
    visible = document.nodes.filter((node) => !isHelper(node));
    edges = bypassHidden(edges, new Set(visible.map((node) => node.id)));
  }

  // Siblings look alike when they run the same electron between the same task neighbours.
  const parents = new Map<number, number[]>();
  const children = new Map<number, number[]>();
  for (const edge of edges) {
    const source = byId.get(edge.source);
    if (source && !isHelper(source)) push(parents, edge.target, edge.source);
    push(children, edge.source, edge.target);
  }
  const groups = new Map<string, number[]>();
  if (options.collapseThreshold > 0) {
    for (const node of visible) {
      if (node.kind !== "electron") continue;
      const key = `${node.name}|${sorted(parents.get(node.id))}|${sorted(children.get(node.id))}`;
      push(groups, key, node.id);
    }
  }

  const drawnAs = new Map<number, number>();
  const nodes: ShapedNode[] = [];
  let nextGroupId = -1;
  for (const [key, members] of groups) {
    if (members.length <= options.collapseThreshold || options.expanded.has(key)) continue;
    const id = nextGroupId--;
    const memberNodes = members.map((member) => byId.get(member)!);
    const counts = groupCounts(memberNodes);
    const first = memberNodes[0]!;
    const node: DagNode = {
      id,
      kind: "electron",
      name: `${first.name} ×${members.length}`,
      status: groupStatus(counts, memberNodes),
    };
    nodes.push({ id, node, group: { key, members, counts } });
    for (const member of members) drawnAs.set(member, id);
  }
  // Helpers that only feed one group (each member's own parameter or `items[i]`) fold into it;
  // walked from the end because the document lists a node after the ones it depends on.
  if (groups.size) {
    for (const node of [...visible].reverse()) {
      if (drawnAs.has(node.id) || !isHelper(node)) continue;
      const into = new Set((children.get(node.id) ?? []).map((target) => drawnAs.get(target)));
      const group = into.size === 1 ? [...into][0] : undefined;
      if (group !== undefined && group < 0) drawnAs.set(node.id, group);
    }
  }
  for (const node of visible) {
    if (drawnAs.has(node.id)) continue;
    drawnAs.set(node.id, node.id);
    nodes.push({ id: node.id, node });
  }
  const seen = new Set<string>();
  const drawnEdges: ShapedEdge[] = [];
  for (const edge of edges) {
    const source = drawnAs.get(edge.source);
    const target = drawnAs.get(edge.target);
    if (source === undefined || target === undefined || source === target) continue;
    const key = `${source}>${target}>${edge.kind}`;
    if (seen.has(key)) continue;
    seen.add(key);
    drawnEdges.push({ source, target, kind: edge.kind });
  }
  return { nodes, edges: drawnEdges, drawnAs };
}

/** Edges with hidden nodes taken out: each visible node keeps its visible ancestors and descendants. */
function bypassHidden(edges: ShapedEdge[], visible: ReadonlySet<number>): ShapedEdge[] {
  const outgoing = new Map<number, ShapedEdge[]>();
  for (const edge of edges) push(outgoing, edge.source, edge);
  const result: ShapedEdge[] = [];
  for (const edge of edges) {
    if (!visible.has(edge.source)) continue;
    // Walk through hidden nodes (collections, accessors) to the visible ones they feed.
    const stack = [edge];
    const seen = new Set<number>();
    while (stack.length) {
      const next = stack.pop()!;
      if (visible.has(next.target)) {
        result.push({ source: edge.source, target: next.target, kind: next.kind });
      } else if (!seen.has(next.target)) {
        seen.add(next.target);
        stack.push(...(outgoing.get(next.target) ?? []));
      }
    }
  }
  return result;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

const sorted = (ids: number[] | undefined): string => (ids ? [...new Set(ids)].sort((a, b) => a - b).join(",") : "");
