import type { ReflectorSink } from '@iam4kube/shared';

/**
 * A count of the calls the watch caches have taken from their reflectors. Every change to a cache (pods,
 * ServiceAccounts, Nodes, Namespaces, and the pod cache guard's view of the pod watch) arrives through such a call,
 * and `watch` bumps the count before each one, so while the value holds, whatever was derived from the caches is what
 * they would give again. The metadata fast path memoizes its answers per caller on it (metadata/answer-memo.ts).
 * A bump says only that something may have changed: a bookmark bumps it too.
 */
export class CacheRevision {
  #value = 0;

  get value(): number {
    return this.#value;
  }

  /** The sink, with the revision bumped before every call into it (list, event, bookmark, stream opened or ended). */
  watch(sink: ReflectorSink): ReflectorSink {
    return {
      replace: (objects, resourceVersion) => {
        this.#value++;
        sink.replace(objects, resourceVersion);
      },
      apply: (type, object) => {
        this.#value++;
        sink.apply(type, object);
      },
      progress: (resourceVersion) => {
        this.#value++;
        sink.progress?.(resourceVersion);
      },
      connected: (open) => {
        this.#value++;
        sink.connected?.(open);
      },
    };
  }
}
