// Chains of dependent tasks handed to an executor at once (`Executor.submitChain`): after a task, a
// task that only it still holds back and that may run right behind it on the same worker; then one
// after that, and so on. A chain of 1,000 steps then costs ~16 worker messages, not
// 1,000 round trips. Each link carries its arguments with a hole where the previous output goes.
import { encode } from "../shared/values";

export interface FollowLink {
  readonly id: number;
  /** The call's arguments, serialized, with `undefined` at each position of `inputAt`. */
  readonly args: Uint8Array;
  readonly inputAt: number[];
}

/** What chaining needs to know of a running dispatch. */
export interface ChainSource {
  /** Each dependant once. */
  dependantsOf(id: number): ArrayLike<number>;
  /** How many of the node's dependencies have not completed yet. */
  waitingOn(id: number): number;
  /** Node `id` may run right behind the chain's `first` task: an electron not in flight, same executor and needs… */
  mayFollow(id: number, first: number): boolean;
  /** The node's call arguments, with `valueOf(source)` for each input. */
  callArguments(id: number, valueOf: (source: number) => unknown): unknown[];
  outputValue(id: number): unknown;
}

const HOLE = Symbol("the previous task's output");

const encodedHoles: Uint8Array[] = [];
/** The arguments of a step that takes only the previous output, `count` times: all holes. */
function holes(count: number): Uint8Array {
  return (encodedHoles[count] ??= encode(new Array<undefined>(count).fill(undefined)));
}

/** The follow-ups of task `first`, at most `max`: empty when the task after it cannot follow. */
export function followUps(source: ChainSource, first: number, max: number): FollowLink[] {
  const links: FollowLink[] = [];
  let before = first;
  while (links.length < max) {
    const next = follower(source, before, first);
    if (next === undefined) break;
    const inputAt: number[] = [];
    let args: Uint8Array;
    try {
      const values = source.callArguments(next, (n) => (n === before ? HOLE : source.outputValue(n)));
      values.forEach((value, at) => {
        if (value !== HOLE) return;
        inputAt.push(at);
        values[at] = undefined;
      });
      // The usual step takes only the previous output: its arguments are all holes, encoded once.
      args = inputAt.length === values.length ? holes(values.length) : encode(values);
    } catch {
      break; // it goes the usual way, where the problem is reported
    }
    links.push({ id: next, args, inputAt });
    before = next;
  }
  return links;
}

/** A dependant of `id` that waits on nothing else and may follow it, if there is one. */
function follower(source: ChainSource, id: number, first: number): number | undefined {
  const dependants = source.dependantsOf(id); // each once (graph-index.ts)
  for (let i = 0; i < dependants.length; i++) {
    const next = dependants[i]!;
    if (source.waitingOn(next) === 1 && source.mayFollow(next, first)) return next;
  }
  return undefined;
}
