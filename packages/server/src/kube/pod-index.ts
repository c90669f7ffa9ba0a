import type { KubeObject, ReflectorSink } from '@iam4kube/shared';
import { isTerminalPhase, projectPod, releasePod, type PodRecord } from './pod-record.js';
import { StringInterner } from './string-interner.js';

/** Who is at an IP address, by the rules in docs/identity.md. */
export type PodLookup =
  | { readonly kind: 'pod'; readonly pod: PodRecord }
  | { readonly kind: 'unknown' }
  | { readonly kind: 'ambiguous'; readonly pods: readonly PodRecord[] }
  | { readonly kind: 'host-network'; readonly pod: PodRecord };

export interface IndexListener {
  /** A pod with this IP was added, changed or removed. */
  ipChanged(ip: string): void;
  /** A change made this IP ambiguous, or added a pod to the live pods that share it. Called once per such change. */
  ambiguousIp?(ip: string, pods: readonly PodRecord[]): void;
  /** A hostNetwork pod appeared, changed or went away (`record` undefined). */
  hostNetworkPodChanged?(record: PodRecord | undefined, previous: PodRecord | undefined): void;
  /** From the reflector: the pod watch has seen everything up to this resourceVersion. */
  progress?(resourceVersion: string): void;
  /** From the reflector: a watch stream opened (true) or ended (false). */
  connected?(open: boolean): void;
  /** A pod with a --pod-role-annotation appeared, changed or went away, or lost the annotation (compatibility mode). */
  annotatedPodChanged?(record: PodRecord | undefined, previous: PodRecord | undefined): void;
}

/**
 * Pods by uid and by IP, fed by the pod reflector. Memory matters here (150,000 pods): an IP maps to its one pod
 * directly and only to an array when several pods share it; repeated names are interned.
 */
export class PodIndex implements ReflectorSink {
  readonly #byUid = new Map<string, PodRecord>();
  readonly #byIp = new Map<string, PodRecord | PodRecord[]>();
  readonly #strings = new StringInterner();
  readonly #listener: IndexListener;
  readonly #roleAnnotation: string | undefined;

  /** `roleAnnotation`: the --pod-role-annotation key, whose value the records then keep (compatibility mode). */
  constructor(listener: IndexListener, options: { readonly roleAnnotation?: string | undefined } = {}) {
    this.#listener = listener;
    this.#roleAnnotation = options.roleAnnotation;
  }

  get size(): number {
    return this.#byUid.size;
  }

  replace(objects: readonly KubeObject[]): void {
    const seen = new Set<string>();
    for (const obj of objects) {
      const uid = obj.metadata?.uid ?? '';
      seen.add(uid);
      this.#apply(obj);
    }
    for (const uid of [...this.#byUid.keys()]) if (!seen.has(uid)) this.#remove(uid);
  }

  apply(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: KubeObject): void {
    if (type === 'DELETED') this.#remove(obj.metadata?.uid ?? '');
    else this.#apply(obj);
  }

  progress(resourceVersion: string): void {
    this.#listener.progress?.(resourceVersion);
  }

  connected(open: boolean): void {
    this.#listener.connected?.(open);
  }

  get(uid: string): PodRecord | undefined {
    return this.#byUid.get(uid);
  }

  lookup(ip: string): PodLookup {
    const entry = this.#byIp.get(ip);
    if (entry === undefined) return { kind: 'unknown' };
    if (!Array.isArray(entry)) return entry.hostNetwork ? { kind: 'host-network', pod: entry } : { kind: 'pod', pod: entry };
    const candidates = entry.filter((p) => !p.hostNetwork);
    if (candidates.length === 0) return { kind: 'host-network', pod: entry[0]! };
    const live = candidates.filter((p) => !p.terminating);
    // A live pod wins over one in its grace period (IP reuse); a terminating pod keeps its identity until then.
    const pool = live.length > 0 ? live : candidates;
    if (pool.length > 1) return { kind: 'ambiguous', pods: pool };
    return { kind: 'pod', pod: pool[0]! };
  }

  all(): IterableIterator<PodRecord> {
    return this.#byUid.values();
  }

  #apply(obj: KubeObject): void {
    const phase = (obj as { status?: { phase?: string } }).status?.phase;
    // A pod that has finished never gets credentials again: it leaves the index (and its IP) at once.
    if (phase !== undefined && isTerminalPhase(phase)) this.#remove(obj.metadata?.uid ?? '');
    else this.#put(projectPod(obj, this.#strings, this.#roleAnnotation));
  }

  #put(record: PodRecord): void {
    const old = this.#byUid.get(record.uid);
    const watchAmbiguity = this.#listener.ambiguousIp !== undefined;
    const before = watchAmbiguity ? record.podIPs.map((ip) => this.#ambiguousUids(ip)) : [];
    if (old) this.#unindex(old);
    this.#byUid.set(record.uid, record);
    for (const ip of record.podIPs) {
      const entry = this.#byIp.get(ip);
      if (entry === undefined) this.#byIp.set(ip, record);
      else if (Array.isArray(entry)) entry.push(record);
      else this.#byIp.set(ip, [entry, record]);
    }
    if (old) releasePod(old, this.#strings);
    const changed = new Set([...(old?.podIPs ?? []), ...record.podIPs]);
    for (const ip of changed) this.#listener.ipChanged(ip);
    if (record.hostNetwork || old?.hostNetwork) this.#listener.hostNetworkPodChanged?.(record, old);
    if (record.roleAnnotation !== undefined || old?.roleAnnotation !== undefined) this.#listener.annotatedPodChanged?.(record, old);
    if (watchAmbiguity) this.#reportAmbiguity(record, before);
  }

  #remove(uid: string): void {
    const old = this.#byUid.get(uid);
    if (!old) return;
    this.#byUid.delete(uid);
    this.#unindex(old);
    releasePod(old, this.#strings);
    for (const ip of old.podIPs) this.#listener.ipChanged(ip);
    if (old.hostNetwork) this.#listener.hostNetworkPodChanged?.(undefined, old);
    if (old.roleAnnotation !== undefined) this.#listener.annotatedPodChanged?.(undefined, old);
  }

  #unindex(record: PodRecord): void {
    for (const ip of record.podIPs) {
      const entry = this.#byIp.get(ip);
      if (entry === record) this.#byIp.delete(ip);
      else if (Array.isArray(entry)) {
        const rest = entry.filter((p) => p.uid !== record.uid);
        if (rest.length === 0) this.#byIp.delete(ip);
        else this.#byIp.set(ip, rest.length === 1 ? rest[0]! : rest);
      }
    }
  }

  /** Uids of the pods an IP is ambiguous between; empty when it is not (the common case costs one map lookup). */
  #ambiguousUids(ip: string): string[] {
    if (!Array.isArray(this.#byIp.get(ip))) return [];
    const found = this.lookup(ip);
    return found.kind === 'ambiguous' ? found.pods.map((p) => p.uid) : [];
  }

  /** Reports each IP of `record` that this change made ambiguous, or that it joined as one more live pod. */
  #reportAmbiguity(record: PodRecord, before: readonly string[][]): void {
    record.podIPs.forEach((ip, i) => {
      if (!Array.isArray(this.#byIp.get(ip))) return;
      const found = this.lookup(ip);
      if (found.kind !== 'ambiguous') return;
      const previously = before[i] ?? [];
      if (found.pods.every((p) => previously.includes(p.uid))) return;
      this.#listener.ambiguousIp!(ip, found.pods);
    });
  }
}
