// setTimeout with any delay. Node fires a timer of 2^31 ms or more after 1 ms (with a warning), so an
// electron with a 30-day timeout once failed at once as "timed out"; longer delays are waited out in
// steps below the limit.
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface LongTimeout {
  clear(): void;
}

/** Calls `fire` once `ms` milliseconds have passed, however many that is. */
export function setLongTimeout(fire: () => void, ms: number): LongTimeout {
  const due = Date.now() + ms;
  let timer: NodeJS.Timeout;
  const arm = (left: number): void => {
    timer = setTimeout(
      () => {
        const rest = due - Date.now();
        if (rest > 0) arm(rest);
        else fire();
      },
      Math.min(left, MAX_TIMER_MS),
    );
  };
  arm(ms);
  return { clear: () => clearTimeout(timer) };
}
