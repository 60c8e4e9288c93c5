// Abort listeners shared per signal: a dispatcher may pass one signal to thousands of submits (a whole
// dispatch's), and one listener each would trip Node's MaxListenersExceededWarning. Each signal gets a
// single listener that calls the callbacks registered through `onAbort`.
const callbacks = new WeakMap<AbortSignal, Set<() => void>>();

/** Calls `callback` once when `signal` aborts; returns a function that unregisters it. */
export function onAbort(signal: AbortSignal, callback: () => void): () => void {
  const registered = callbacks.get(signal) ?? listen(signal);
  // A callback registered twice for one signal would run once: each caller passes a closure of its own.
  registered.add(callback);
  return () => void registered.delete(callback);
}

/**
 * The signal's one listener, made in a scope of its own: made inside `onAbort`, it shared that call's
 * scope and kept its `callback` (a task, its dispatch's run and graph) for as long as the signal
 * lived — and the dispatcher recycles the signals of tasks that ended unaborted (executor-pool.ts).
 */
function listen(signal: AbortSignal): Set<() => void> {
  const created = new Set<() => void>();
  callbacks.set(signal, created);
  signal.addEventListener(
    "abort",
    () => {
      callbacks.delete(signal);
      for (const call of created) call();
    },
    { once: true },
  );
  return created;
}
