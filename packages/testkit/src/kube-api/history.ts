import type { KubeObject } from './object.js';
import type { ResourceInfo } from './resources.js';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One change in the store, at one global revision. Objects are frozen snapshots. */
export interface StoreEvent {
  readonly rv: number;
  readonly type: EventType;
  readonly resource: ResourceInfo;
  readonly object: KubeObject;
  /** The object before the change (MODIFIED and DELETED). */
  readonly previous?: KubeObject;
}

/**
 * The retained window of events, like etcd's history before compaction: a watch or an exact list can start at any
 * revision >= floor; anything older is "too old" (410 Expired).
 */
export class EventHistory {
  readonly #capacity: number;
  #events: StoreEvent[] = [];
  #start = 0;
  #floor: number;

  constructor(capacity: number, floor = 0) {
    this.#capacity = Math.max(0, capacity);
    this.#floor = floor;
  }

  /** The oldest revision a watch can resume from. */
  get floor(): number {
    return this.#floor;
  }

  get size(): number {
    return this.#events.length - this.#start;
  }

  append(event: StoreEvent): void {
    this.#events.push(event);
    while (this.size > this.#capacity) {
      this.#floor = this.#events[this.#start]!.rv;
      this.#start++;
    }
    // Drop the consumed prefix now and then, not on every append.
    if (this.#start > 1024 && this.#start * 2 > this.#events.length) {
      this.#events = this.#events.slice(this.#start);
      this.#start = 0;
    }
  }

  /** Every retained event after `rv`, oldest first; undefined when `rv` is older than the window. */
  since(rv: number): StoreEvent[] | undefined {
    if (rv < this.#floor) return undefined;
    let lo = this.#start;
    let hi = this.#events.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#events[mid]!.rv <= rv) lo = mid + 1;
      else hi = mid;
    }
    return this.#events.slice(lo);
  }

  /** Forgets every event: only revisions >= `currentRv` can be served from now on. */
  compact(currentRv: number): void {
    this.#events = [];
    this.#start = 0;
    this.#floor = currentRv;
  }
}
