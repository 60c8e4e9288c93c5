// The routes of the hostile-input fuzzer (request-fuzz.test.ts): for each, how a valid request is
// made (its path segments and query values are fields the mutator changes too) and which answers are
// allowed; and the lattices whose dispatches the requests start from.
import * as ct from "valence-workflows";
import { encodeValue } from "#src/workflow/transport.js";
import { serializeElectron } from "#src/workflow/serialize/index.js";
import { mutate, type Random } from "../support/mutate.ts";
import { dispatchBody } from "../support/requests.ts";

const add = ct.electron(function add(a: number, b: number) {
  return a + b;
});
/** New code for `add` (a redispatch's replaceElectrons): the lattices here call it. */
const addSpec = serializeElectron(
  ct.electron(function add(a: number, b: number) {
    return a + b + 0;
  }),
);
const pair = ct.electron(function pair(a: number) {
  return { v: a, list: [a, a + 1] };
});
const total = ct.electron(function total(xs: number[], o: { k: number }) {
  return xs.length + o.k;
});
const inner = ct.lattice(function inner(x: number) {
  return add(x, 1);
});
const sub = ct.electron(inner);
// Every node kind and edge kind: parameters, electrons, a sublattice, list, dict, getitem, getattr, wait.
export const shapes = ct.lattice(function shapes(x: number) {
  const p = pair(x);
  const a = add(p.v, 2);
  const b = total([a, p.list[0]!], { k: a });
  const c = add(x, 3);
  ct.wait(c, [b]);
  return { b, s: sub(c) };
});
const maker = ct.lattice(function maker(x: number) {
  const twice = ct.electron(function twice(y: number) {
    return 2 * y;
  });
  return twice(x);
});
export const outer = ct.lattice(function outer(x: number) {
  return ct.electron(maker)(x);
});
export const chain = ct.lattice(function chain(x: number) {
  return add(add(add(x, 1), 2), 3);
});

export type Sent = { method: string; path: string; body?: unknown };

/** What each route is sent: a valid request, mutated. Path segments and query values are fields too. */
export function routes(
  ids: string[],
  deletable: string[],
  random: Random,
): Array<{ name: string; make: () => Sent; ok: number[] }> {
  const id = () => ids[Math.floor(random() * ids.length)]!;
  const segment = (value: unknown): string =>
    typeof value === "string" && value.startsWith("%") ? value : encodeURIComponent(String(value));
  const query = (q: Record<string, unknown>): string =>
    Object.entries(q)
      .map(([k, v]) => `${segment(k)}=${segment(v)}`)
      .join("&");
  const bodies = [dispatchBody(shapes as never, 4), dispatchBody(chain as never, 1)];
  const get = (template: (p: Record<string, unknown>) => string, valid: Record<string, unknown>) => () => {
    const { value } = mutate(valid, random);
    return { method: "GET", path: template(value) };
  };
  return [
    {
      name: "POST /api/v1/dispatches",
      make: () => ({
        method: "POST",
        path: "/api/v1/dispatches",
        body: mutate(bodies[Math.floor(random() * 2)]!, random).value,
      }),
      ok: [201, 400, 413],
    },
    {
      name: "POST /api/v1/dispatches/{id}/cancel",
      make: () => {
        const { value } = mutate({ id: id(), body: { nodeIds: [0, 1, 2] } }, random);
        return { method: "POST", path: `/api/v1/dispatches/${segment(value.id)}/cancel`, body: value.body };
      },
      ok: [200, 400, 404],
    },
    {
      name: "POST /api/v1/dispatches/{id}/redispatch",
      make: () => {
        const body = {
          inputs: encodeValue([5], "inputs"),
          reusePreviousResults: true,
          replaceElectrons: { add: addSpec },
        };
        const valid = { id: id(), body };
        const { value } = mutate(valid, random);
        return { method: "POST", path: `/api/v1/dispatches/${segment(value.id)}/redispatch`, body: value.body };
      },
      ok: [201, 400, 404],
    },
    {
      name: "GET /api/v1/dispatches",
      make: get((p) => `/api/v1/dispatches?${query(p)}`, {
        limit: 5,
        parentId: id(),
        status: "COMPLETED",
        latticeName: "shapes",
      }),
      ok: [200, 400],
    },
    {
      // Only dispatches the fuzzer sent itself (running ones answer 409): the others stay for the other routes.
      name: "POST /api/v1/delete",
      make: () => {
        const target = deletable.length ? deletable[Math.floor(random() * deletable.length)]! : "none-yet";
        const { value } = mutate({ dispatchIds: [target], volumes: false }, random);
        return { method: "POST", path: "/api/v1/delete", body: value };
      },
      ok: [200, 400, 404, 409],
    },
    {
      name: "GET /api/v1/dispatches/{id}",
      make: get((p) => `/api/v1/dispatches/${segment(p.id)}?${query({ nodes: p.nodes })}`, {
        id: id(),
        nodes: "columns",
      }),
      ok: [200, 400, 404],
    },
    {
      name: "GET /api/v1/dispatches/{id}/wait",
      make: get((p) => `/api/v1/dispatches/${segment(p.id)}/wait?${query({ timeoutMs: p.timeoutMs })}`, {
        id: id(),
        timeoutMs: 10,
      }),
      ok: [200, 400, 404],
    },
    {
      name: "GET /api/v1/dispatches/{id}/summary",
      make: get((p) => `/api/v1/dispatches/${segment(p.id)}/summary`, { id: id() }),
      ok: [200, 400, 404],
    },
    {
      name: "GET /api/v1/dispatches/{id}/inputs",
      make: get((p) => `/api/v1/dispatches/${segment(p.id)}/inputs`, { id: id() }),
      ok: [200, 400, 404],
    },
    {
      name: "GET /api/v1/triggers",
      make: get((p) => `/api/v1/triggers?${query(p)}`, { dispatchId: id(), all: 1 }),
      ok: [200, 400],
    },
    {
      // Stopping one the fuzzer made up (none is running: a trigger here would dispatch all along).
      name: "POST /api/v1/triggers/{id}/stop",
      make: () => {
        const { value } = mutate({ id: "no-such-trigger", body: {} }, random);
        return { method: "POST", path: `/api/v1/triggers/${segment(value.id)}/stop`, body: value.body };
      },
      ok: [200, 400, 404],
    },
    {
      name: "GET /api/v1/dispatches/{id}/outputs",
      make: get((p) => `/api/v1/dispatches/${segment(p.id)}/outputs`, { id: id() }),
      ok: [200, 400, 404],
    },
    {
      name: "GET /api/v1/dispatches/{id}/graph",
      make: get((p) => `/api/v1/dispatches/${segment(p.id)}/graph`, { id: id() }),
      ok: [200, 400, 404],
    },
    {
      name: "GET /api/v1/dispatches/{id}/nodes/{node}",
      make: get((p) => `/api/v1/dispatches/${segment(p.id)}/nodes/${segment(p.node)}`, { id: id(), node: 1 }),
      ok: [200, 400, 404],
    },
  ];
}
