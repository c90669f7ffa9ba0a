/**
 * Requests waiting for something to change, by key (an IP, a ServiceAccount). Many waiters on one key cost one map
 * entry and no timer; they are released together by notify(), and each one leaves at once when its signal aborts, so
 * nothing lingers after a client disconnects or its deadline passes.
 */
export class KeyedWaiters {
  readonly #byKey = new Map<string, Set<() => void>>();

  /** Number of keys with at least one waiter. */
  get keys(): number {
    return this.#byKey.size;
  }

  /** Total number of waits (a wait on several keys counts once per key). */
  get waiters(): number {
    let n = 0;
    for (const set of this.#byKey.values()) n += set.size;
    return n;
  }

  /**
   * Resolves on the next notify() of the key (or of any of the keys); rejects with the signal's reason when it aborts
   * first. Either way the wait is removed from every key it was on.
   */
  wait(key: string | readonly string[], signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(signal.reason);
    const keys = typeof key === 'string' ? [key] : key;
    return new Promise((resolve, reject) => {
      const leave = (): void => {
        signal.removeEventListener('abort', onAbort);
        for (const k of keys) {
          const set = this.#byKey.get(k);
          if (!set) continue;
          set.delete(release);
          if (set.size === 0) this.#byKey.delete(k);
        }
      };
      const onAbort = (): void => {
        leave();
        reject(signal.reason);
      };
      const release = (): void => {
        leave();
        resolve();
      };
      for (const k of keys) {
        let set = this.#byKey.get(k);
        if (!set) this.#byKey.set(k, (set = new Set()));
        set.add(release);
      }
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
