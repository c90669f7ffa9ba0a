import type { KubeObject, ReflectorSink } from '@iam4kube/shared';
import { isTerminalPhase, projectPod, type PodRecord } from './pod-record.js';

/** Who is at an IP address, by the rules in docs/identity.md. */
export type PodLookup =
  | { readonly kind: 'pod'; readonly pod: PodRecord }
  | { readonly kind: 'unknown' }
  | { readonly kind: 'ambiguous'; readonly pods: readonly PodRecord[] }
  | { readonly kind: 'host-network'; readonly pod: PodRecord };

export interface IndexListener {
  /** A pod with this IP was added, changed or removed. */
  ipChanged(ip: string): void;
}

/** Pods by uid and by IP, fed by the pod reflector. */
export class PodIndex implements ReflectorSink {
  readonly #byUid = new Map<string, PodRecord>();
  readonly #byIp = new Map<string, Set<PodRecord>>();
  readonly #listener: IndexListener;

  constructor(listener: IndexListener) {
    this.#listener = listener;
  }

  get size(): number {
    return this.#byUid.size;
  }

  replace(objects: readonly KubeObject[]): void {
    const seen = new Set<string>();
    for (const obj of objects) {
      const record = projectPod(obj);
      seen.add(record.uid);
      this.#put(record);
    }
    for (const uid of [...this.#byUid.keys()]) if (!seen.has(uid)) this.#remove(uid);
  }

  apply(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: KubeObject): void {
    const record = projectPod(obj);
    if (type === 'DELETED') this.#remove(record.uid);
    else this.#put(record);
  }

  lookup(ip: string): PodLookup {
    const all = this.#byIp.get(ip);
    if (!all || all.size === 0) return { kind: 'unknown' };
    const candidates = [...all].filter((p) => !p.hostNetwork && !isTerminalPhase(p.phase));
    if (candidates.length === 0) {
      const host = [...all].find((p) => p.hostNetwork);
      return host ? { kind: 'host-network', pod: host } : { kind: 'unknown' };
    }
    const live = candidates.filter((p) => !p.terminating);
    // A live pod wins over one in its grace period (IP reuse); a terminating pod keeps its identity until then.
    const pool = live.length > 0 ? live : candidates;
    if (pool.length > 1) return { kind: 'ambiguous', pods: pool };
    return { kind: 'pod', pod: pool[0]! };
  }

  all(): IterableIterator<PodRecord> {
    return this.#byUid.values();
  }

  #put(record: PodRecord): void {
    const old = this.#byUid.get(record.uid);
    if (old) this.#unindex(old);
    this.#byUid.set(record.uid, record);
    for (const ip of record.podIPs) {
      let set = this.#byIp.get(ip);
      if (!set) this.#byIp.set(ip, (set = new Set()));
      set.add(record);
    }
    const changed = new Set([...(old?.podIPs ?? []), ...record.podIPs]);
    for (const ip of changed) this.#listener.ipChanged(ip);
  }

  #remove(uid: string): void {
    const old = this.#byUid.get(uid);
    if (!old) return;
    this.#byUid.delete(uid);
    this.#unindex(old);
    for (const ip of old.podIPs) this.#listener.ipChanged(ip);
  }

  #unindex(record: PodRecord): void {
    for (const ip of record.podIPs) {
      const set = this.#byIp.get(ip);
      set?.delete(record);
      if (set?.size === 0) this.#byIp.delete(ip);
    }
  }
}
