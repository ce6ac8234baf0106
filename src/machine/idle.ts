// Idling without busy-waiting, for a CPU halted until the next event.

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Block the thread for `ns` nanoseconds (millisecond resolution); the synchronous run loop's HLT. */
export function sleepSync(ns: number): void {
  if (!Number.isFinite(ns)) throw new Error('Machine.run: the guest waits with nothing that can wake it in time; use runAsync');
  if (ns <= 0) return;
  Atomics.wait(sleeper, 0, 0, ns / 1e6);
}

/**
 * Wait until `ns` nanoseconds have passed (Infinity: no time limit), the
 * host delivers something (the machine calls the function handed to
 * `register`), or `signal` aborts.
 */
export function waitForHost(ns: number, register: (wake: () => void) => void, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    if (signal?.aborted) return resolve();
    signal?.addEventListener('abort', done, { once: true });
    register(done);
    if (Number.isFinite(ns)) timer = setTimeout(done, Math.max(0, ns / 1e6));
  });
}
