// How each kind of node turns its inputs into an output, in process. Helper nodes (parameters,
// collections, getitem/getattr) resolve right here; electrons call their function with retries,
// an optional timeout and their hooks.
import { isTaskNode } from "@valence/schema";
import type { GraphNode, NodeInputs } from "../workflow/graph";
import { setLongTimeout, type LongTimeout } from "../shared/long-timeout";
import { hookList } from "../workflow/options";
import { callArguments as argumentsInOrder, helperValue } from "../workflow/helper-values";

/** Arguments in call order, from the data edges' positions. */
export function callArguments(inputs: NodeInputs, outputOf: (node: number) => unknown): unknown[] {
  return argumentsInOrder(inputs.data, outputOf);
}

/** Output of a node that needs no executor; undefined when it is an electron or a sublattice. */
export function resolveHelperNode(
  node: GraphNode,
  inputs: NodeInputs,
  outputOf: (node: number) => unknown,
): { output: unknown } | undefined {
  if (node.kind === "parameter") return { output: node.value };
  if (isTaskNode(node)) return undefined;
  return { output: helperValue(node, inputs.data, outputOf) };
}

/** One attempt of an electron: hooks, the function, and the timeout if one is set. */
export async function attemptElectron(node: GraphNode, args: unknown[]): Promise<unknown> {
  const { fn } = node.electron!;
  const options = node.options ?? {};
  for (const hook of hookList(options.callBefore)) await hook();
  const run = Promise.resolve().then(() => fn(...args));
  const output = options.timeoutMs === undefined ? await run : await withTimeout(run, options.timeoutMs, node);
  for (const hook of hookList(options.callAfter)) await hook();
  return output;
}

function withTimeout<T>(work: Promise<T>, ms: number, node: GraphNode): Promise<T> {
  let timer: LongTimeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setLongTimeout(
      () => reject(new Error(`electron "${node.name}" (node ${node.id}) timed out after ${ms} ms`)),
      ms,
    );
  });
  return Promise.race([work, timeout]).finally(() => timer?.clear());
}
