/**
 * Requests waiting for something to change, by key (an IP, a ServiceAccount). Many waiters on one key cost one map
 * entry; they are released together by notify(), and each one leaves at once when its signal aborts, so nothing
 * lingers after a client disconnects or its deadline passes.
 */
export class KeyedWaiters {
  readonly #byKey = new Map<string, Set<() => void>>();

  /** Number of keys with at least one waiter. */
  get keys(): number {
    return this.#byKey.size;
  }

  /** Total number of waiters. */
  get waiters(): number {
    let n = 0;
    for (const set of this.#byKey.values()) n += set.size;
    return n;
  }

  /** Resolves on the next notify(key); rejects with the signal's reason when it aborts first. */
  wait(key: string, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      let set = this.#byKey.get(key);
      if (!set) this.#byKey.set(key, (set = new Set()));
      const waiters = set;
      const onAbort = (): void => {
        waiters.delete(release);
        if (waiters.size === 0 && this.#byKey.get(key) === waiters) this.#byKey.delete(key);
        reject(signal.reason);
      };
      const release = (): void => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      waiters.add(release);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  notify(key: string): void {
    const set = this.#byKey.get(key);
    if (!set) return;
    this.#byKey.delete(key);
    for (const release of set) release();
  }
}
