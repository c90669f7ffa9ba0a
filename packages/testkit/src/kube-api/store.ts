import type { EventType, StoreEvent } from './history.js';
import { EventHistory } from './history.js';
import type { KubeObject } from './object.js';
import type { ResourceInfo } from './resources.js';

export type StoreListener = (event: StoreEvent) => void;

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

function keyOf(obj: KubeObject): string {
  return `${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
}

/**
 * Objects by resource, one global revision counter (an etcd revision) and the event history. Knows nothing of API
 * semantics: the registry decides what to write. Stored objects are deep-frozen snapshots; listeners are called
 * synchronously, in revision order, so a watch that subscribes and then reads the state misses nothing.
 */
export class ObjectStore {
  #rv: number;
  readonly #objects = new Map<ResourceInfo, Map<string, KubeObject>>();
  readonly #history: EventHistory;
  readonly #listeners = new Set<StoreListener>();

  constructor(options: { historyWindow: number; initialResourceVersion?: number }) {
    this.#rv = options.initialResourceVersion ?? 0;
    this.#history = new EventHistory(options.historyWindow, this.#rv);
  }

  get resourceVersion(): number {
    return this.#rv;
  }

  get history(): EventHistory {
    return this.#history;
  }

  get(info: ResourceInfo, namespace: string, name: string): KubeObject | undefined {
    return this.#objects.get(info)?.get(`${info.namespaced ? namespace : ''}/${name}`);
  }

  /** Current objects sorted by namespace/name (etcd key order); all namespaces when `namespace` is undefined. */
  list(info: ResourceInfo, namespace?: string): KubeObject[] {
    return this.#sorted(this.#objects.get(info) ?? new Map(), namespace);
  }

  /** The objects as they were at revision `rv`; undefined when that revision is older than the history window. */
  listAt(info: ResourceInfo, rv: number, namespace?: string): KubeObject[] | undefined {
    const later = this.#history.since(rv);
    if (later === undefined) return undefined;
    const state = new Map(this.#objects.get(info) ?? []);
    for (let i = later.length - 1; i >= 0; i--) {
      const event = later[i]!;
      if (event.resource !== info) continue;
      if (event.type === 'ADDED') state.delete(keyOf(event.object));
      else if (event.previous) state.set(keyOf(event.previous), event.previous);
    }
    return this.#sorted(state, namespace);
  }

  /** Stores `object` (ADDED or MODIFIED) at the next revision and returns the stored snapshot. */
  write(info: ResourceInfo, type: Exclude<EventType, 'DELETED'>, object: KubeObject): KubeObject {
    const rv = ++this.#rv;
    const stored = deepFreeze({ ...object, metadata: { ...object.metadata, resourceVersion: String(rv) } });
    const key = keyOf(stored);
    let byKey = this.#objects.get(info);
    if (!byKey) this.#objects.set(info, (byKey = new Map()));
    const previous = byKey.get(key);
    byKey.set(key, stored);
    this.#emit(previous ? { rv, type, resource: info, object: stored, previous } : { rv, type, resource: info, object: stored });
    return stored;
  }

  /**
   * Removes the object; the DELETED event carries its last state (`lastState`, e.g. an update that dropped the last
   * finalizer, or the stored object) at the deletion revision.
   */
  remove(info: ResourceInfo, object: KubeObject, lastState?: KubeObject): KubeObject {
    const key = keyOf(object);
    const previous = this.#objects.get(info)?.get(key);
    if (!previous) return object;
    this.#objects.get(info)!.delete(key);
    const rv = ++this.#rv;
    const last = lastState ?? previous;
    const gone = deepFreeze({ ...last, metadata: { ...last.metadata, resourceVersion: String(rv) } });
    this.#emit({ rv, type: 'DELETED', resource: info, object: gone, previous });
    return gone;
  }

  subscribe(listener: StoreListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  compact(): void {
    this.#history.compact(this.#rv);
  }

  #emit(event: StoreEvent): void {
    this.#history.append(event);
    for (const listener of [...this.#listeners]) listener(event);
  }

  #sorted(byKey: ReadonlyMap<string, KubeObject>, namespace: string | undefined): KubeObject[] {
    const keys = [...byKey.keys()].sort();
    const out: KubeObject[] = [];
    for (const key of keys) {
      const obj = byKey.get(key)!;
      if (namespace === undefined || (obj.metadata.namespace ?? '') === namespace) out.push(obj);
    }
    return out;
  }
}
