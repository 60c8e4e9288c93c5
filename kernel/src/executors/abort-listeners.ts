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
  const once = (): void => callback();
  registered.add(once);
  return () => void registered.delete(once);
}
