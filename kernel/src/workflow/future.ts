// Futures at run time: a Proxy per node that turns property and index access into getattr/getitem
// nodes and turns every use that needs the real value into an error saying what to do instead.
import type { BuildContext } from "./build-context";
import { WorkflowError } from "./errors";
import type { Future } from "./types";

interface FutureState {
  readonly context: BuildContext;
  readonly node: number;
  /** The value as code: `load(…)`, `load(…).items[0]`. */
  readonly expression: string;
  /** How a message names this value: `the output of "load" (node 2)`, `load(…).items[0] (node 4)`. */
  readonly label: string;
  /** Declared number of items, when known (electron option outputLength). */
  readonly length: number | undefined;
  /** One child future per key, so `f.a` twice is one getattr node (made at the first). */
  children: Map<string, Future<unknown>> | undefined;
}

/** A future's state; its label is made only when a message or inspect needs it (a loop makes 10,000 futures). */
class State implements FutureState {
  children: Map<string, Future<unknown>> | undefined = undefined;

  constructor(
    readonly context: BuildContext,
    readonly node: number,
    readonly expression: string,
    readonly length: number | undefined,
  ) {}

  get label(): string {
    const { expression, node } = this;
    if (!expression.endsWith("(…)")) return `${expression} (node ${node})`;
    return `the output of "${this.context.graph.node(node).name}" (node ${node})`;
  }
}

/**
 * Where a future's target holds its state (a property, not a WeakMap entry: 10,000 futures in two
 * WeakMaps made the dry run's garbage collection cost more than the dry run).
 */
const STATE = Symbol("future state");
const INSPECT = Symbol.for("nodejs.util.inspect.custom");
/** Iterating further than this without a declared length is taken as an unbounded `for…of`/spread. */
const MAX_UNDECLARED_ITEMS = 256;

export function isFuture(value: unknown): boolean {
  return futureOf(value) !== undefined;
}

/** The node and build a future belongs to, or undefined for anything else. */
export function futureOf(value: unknown): { context: BuildContext; node: number } | undefined {
  return typeof value === "function"
    ? (value as unknown as Partial<Record<typeof STATE, FutureState>>)[STATE]
    : undefined;
}

export function createFuture(
  context: BuildContext,
  node: number,
  expression: string,
  length?: number,
): Future<unknown> {
  // A function target of its own, so calling a future reaches the `apply` trap, which sees only the
  // target: the state is on the target, and the `get` trap hands it out for the proxy.
  const target = function future(): void {} as Target;
  target[STATE] = new State(context, node, expression, length);
  return new Proxy(target, handler) as unknown as Future<unknown>;
}

const fix =
  "Electron calls in a lattice body return futures: their values exist only when the workflow runs. " +
  "Move this logic into an electron, or into a sublattice (ct.electron(ct.lattice(...))) to decide at run time.";

function misuse(state: FutureState, what: string, advice = fix): WorkflowError {
  const lattice = state.context.graph.latticeName;
  return new WorkflowError("FUTURE_MISUSE", `In lattice "${lattice}", ${state.label} ${what}. ${advice}`);
}

/** The state of a future (its proxy or its target). */
function stateOf(future: object): FutureState {
  return (future as Target)[STATE];
}

function child(proxy: object, key: string): Future<unknown> {
  const state = stateOf(proxy);
  const existing = state.children?.get(key);
  if (existing) return existing;
  if (!state.context.isOpen) {
    throw new WorkflowError(
      "FUTURE_OUTSIDE_BUILD",
      `${state.label} was used after the dry run of lattice "${state.context.graph.latticeName}" ended. ` +
        "Futures only mean something inside their lattice body.",
    );
  }
  const index = /^(0|[1-9]\d*)$/.test(key) ? Number(key) : undefined;
  const graph = state.context.graph;
  const id = graph.addNode(
    index === undefined
      ? { kind: "getattr", name: `.${key}`, key }
      : { kind: "getitem", name: `[${index}]`, key: index },
  );
  graph.addEdge({ source: state.node, target: id, kind: "data", position: 0 });
  const expression = index === undefined ? `${state.expression}.${key}` : `${state.expression}[${index}]`;
  const future = createFuture(state.context, id, expression);
  (state.children ??= new Map()).set(key, future);
  return future;
}

function iterate(proxy: object): Iterator<Future<unknown>> {
  const state = stateOf(proxy);
  let next = 0;
  return {
    next(): IteratorResult<Future<unknown>> {
      if (state.length !== undefined && next >= state.length) return { done: true, value: undefined };
      if (state.length === undefined && next >= MAX_UNDECLARED_ITEMS) {
        throw new WorkflowError(
          "UNBOUNDED_ITERATION",
          `In lattice "${state.context.graph.latticeName}", ${state.label} was iterated (for…of or spread) ` +
            `but its length is unknown until it runs. Destructure it (const [a, b] = …), or declare the ` +
            `length on the electron: ct.electron(fn, { outputLength: n }).`,
        );
      }
      return { done: false, value: child(proxy, String(next++)) };
    },
    return(): IteratorResult<Future<unknown>> {
      return { done: true, value: undefined };
    },
  };
}

type Target = (() => void) & { [STATE]: FutureState };

const handler: ProxyHandler<Target> = {
  get(target, key, proxy: object) {
    const state = target[STATE];
    if (typeof key === "symbol") {
      if (key === STATE) return state;
      if (key === Symbol.toPrimitive) {
        return () => {
          throw misuse(state, "was used as a plain value (a comparison, arithmetic or a template string)");
        };
      }
      if (key === Symbol.iterator) return () => iterate(proxy);
      if (key === INSPECT) return () => `Future<${state.label}>`;
      return undefined;
    }
    if (key === "then") {
      throw misuse(
        state,
        "was awaited",
        "Electron calls in a lattice body are not promises: pass the future to another electron or return it. " +
          "To wait for results, await ct.dispatch(...) outside the lattice.",
      );
    }
    if (key === "toJSON") throw misuse(state, "was turned into JSON");
    return child(proxy, key);
  },
  apply(target) {
    throw misuse(stateOf(target), "was called as a function (a method call on a future)");
  },
  set(target, key) {
    throw misuse(stateOf(target), `was assigned to (property ${String(key)}); futures are read-only`);
  },
  defineProperty(target, key) {
    throw misuse(stateOf(target), `was given a property (${String(key)}); futures are read-only`);
  },
  deleteProperty(target, key) {
    throw misuse(stateOf(target), `lost a property (${String(key)}); futures are read-only`);
  },
};
