// Typing fixture: compiled by typing.test.ts with tsc --strict, never run. Each @ts-expect-error line
// must be a type error (TypeScript reports an unused directive otherwise); everything else must compile.
import * as ct from "valence-workflows";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(_proof?: T): void {}

const load = ct.electron(function load(): { a: number[]; name: string; nested: { when: Date } } {
  return { a: [1], name: "x", nested: { when: new Date() } };
});
const double = ct.electron((x: number) => x * 2);
const total = ct.electron((xs: number[], opts: { scale: number }) => xs.length * opts.scale);
const fetchText = ct.electron(async (url: string): Promise<string> => url);
const pair = ct.electron((): [number, string] => [1, "a"]);

ct.lattice(function typed(scale: number) {
  const data = load();
  // Property and index access carry the type through.
  expectType<Equal<typeof data.a, ct.Future<number[]>>>();
  const first = data.a[0]!;
  expectType<Equal<typeof first, ct.Future<number>>>();
  expectType<Equal<typeof data.nested.when, ct.Future<Date>>>();

  // Parameters accept values, futures, and arrays / objects holding futures.
  double(3);
  double(first);
  total([first, 2, double(first)], { scale });
  total(data.a, { scale: first });

  // An async electron's future holds the awaited value.
  const text = fetchText("u");
  expectType<Equal<typeof text, ct.Future<string>>>();

  // Destructuring a tuple future gives each element its own type.
  const [n, s] = pair();
  expectType<Equal<typeof n, ct.Future<number>>>();
  expectType<Equal<typeof s, ct.Future<string>>>();

  // @ts-expect-error a string where a number is expected
  double("3");
  // @ts-expect-error a future of a string where a number is expected
  double(data.name);
  // @ts-expect-error a future of the wrong element type inside an array
  total([data.name], { scale: 1 });
  // @ts-expect-error a missing argument
  double();
  // @ts-expect-error a property the value does not have
  void data.missing;
  // @ts-expect-error futures are not callable, so methods of the value cannot be called
  data.a.map((x: number) => x);
  // @ts-expect-error a future of a number has no number methods
  void first.toFixed;

  return { first, doubled: double(first), fixed: 7 };
});

// The lattice's result type is its return structure with futures replaced by values.
const wf = ct.lattice(function resultTyped(n: number) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(double(i));
  return { out, label: load().name, literal: 3 };
});
type WfResult = ct.Resolved<ReturnType<typeof wf.build> extends ct.Graph<infer R> ? R : never>;
expectType<Equal<WfResult, { out: number[]; label: string; literal: number }>>();

// Lattices take their own parameters' types.
wf.build(3);
// @ts-expect-error a lattice input of the wrong type
wf.build("3");

// .run executes directly with the plain parameter types.
const direct: number = double.run(2);
// @ts-expect-error .run takes values, not futures
double.run(undefined as unknown as ct.Future<number>);
void direct;

// A sublattice electron takes the lattice's parameters and gives a future of its result.
const sub = ct.electron(wf);
ct.lattice(function usesSub() {
  const result = sub(2);
  expectType<Equal<typeof result.out, ct.Future<number[]>>>();
  return result;
});

// runLocal resolves to the lattice's result type.
async function run(): Promise<void> {
  const result = await ct.runLocal(wf)(2);
  expectType<Equal<typeof result, { out: number[]; label: string; literal: number }>>();
}
void run;

// @ts-expect-error unknown options are compile errors too
ct.electron(() => 1, { retry: 1 });

// A dispatch's handle carries the result type to getResult; a redispatch keeps the handle's type, and
// a handle made from an id alone (Dispatch<unknown>) may be read as the type its caller knows.
async function results(): Promise<void> {
  const handle = await ct.dispatch(wf)(2);
  const first = await ct.getResult(handle, { wait: true });
  expectType<Equal<typeof first.result, { out: number[]; label: string; literal: number } | undefined>>();
  const again = await ct.getResult(await ct.redispatch(handle)(3));
  expectType<Equal<typeof again.result, { out: number[]; label: string; literal: number } | undefined>>();
  const byId = await ct.getResult<number[]>(await ct.redispatch(handle.id)());
  expectType<Equal<typeof byId.result, number[] | undefined>>();
  // statusOnly answers a summary, not a Result.
  const status = await ct.getResult(handle, { statusOnly: true });
  expectType<Equal<typeof status, ct.DispatchSummary>>();
}
void results;
