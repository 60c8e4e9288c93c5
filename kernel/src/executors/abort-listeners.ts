// Abort listeners shared per signal: a dispatcher may pass one signal to thousands of submits (a whole
// dispatch's), and one listener each would trip Node's MaxListenersExceededWarning. Each signal gets a
// single listener that calls the callbacks registered through `onAbort`.
const callbacks = new WeakMap<AbortSignal, Set<() => void>>();

/** Calls `callback` once when `signal` aborts; returns a function that unregisters it. */
export function onAbort(signal: AbortSignal, callback: () => void): () => void {
  let set = callbacks.get(signal);
  if (!set) {
    const created = new Set<() => void>();
    set = created;
    callbacks.set(signal, created);
    signal.addEventListener(
      "abort",
      () => {
        callbacks.delete(signal);
        for (const call of created) call();
      },
      { once: true },
    );
  }
  const registered = set;
  // A callback registered twice for one signal would run once: each caller passes a closure of its own.
  registered.add(callback);
  return () => void registered.delete(callback);
}
