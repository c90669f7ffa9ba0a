import type { Clock, Logger } from '@iam4kube/shared';
import { PodIndex } from '../kube/pod-index.js';
import { projectPod, type PodRecord } from '../kube/pod-record.js';
import type { PodReader } from '../kube/pod-reader.js';
import { abortable } from './abortable.js';
import { revision } from './service-account-catch-up.js';

/** What a consistent read says of a cached answer: still the pod at that IP, no longer, or it could not be read. */
export type PodCheck = 'current' | 'stale' | 'unknown';

export interface PodCacheGuardOptions {
  readonly reader: PodReader;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Called when the cache becomes live again (waiters re-check). */
  readonly onLive: () => void;
  /** A read that takes longer is given up (default 5 s). */
  readonly readTimeoutMs?: number;
}

/**
 * Knows whether the pod cache can be trusted to name the pod at an IP. It can while the pod watch is connected and
 * has caught up with the API server's revision read after the stream opened: changes then reach the cache within
 * the watch's latency. While it cannot (watch reconnecting, relisting, API server unreachable), a deletion and an IP
 * handed to a new pod may be missing from the cache, and the cached pod would get the new pod's requests — so before
 * a role is served, a consistent read confirms that the cached pod still holds that IP.
 */
export class PodCacheGuard {
  readonly #o: Required<PodCacheGuardOptions>;
  readonly #checks = new Map<string, Promise<PodCheck>>();
  #open = false;
  #live = false;
  #generation = 0;
  #target: number | undefined;
  #seen: number | undefined;
  #fetching = false;
  /**
   * Pod records a read confirmed while the current stream was open: every change after that read reaches the cache
   * through this stream, as it does once live, and any change to the pod replaces its record (so it is confirmed
   * again). Forgotten when the stream ends or reopens.
   */
  #confirmed = new WeakSet<PodRecord>();

  constructor(options: PodCacheGuardOptions) {
    this.#o = { readTimeoutMs: 5000, ...options };
  }

  /** True when the cache may answer without a check. */
  get live(): boolean {
    return this.#live;
  }

  /**
   * True when the cache's pod may be served without a read: live, or this very record was confirmed by a read made
   * while the current stream was open. Without the second case, a quiet cluster whose revision moved during a
   * routine watch reconnect (an Event written elsewhere is enough) would confirm every request with the API server
   * until the next pod event or bookmark.
   */
  trusts(pod: PodRecord): boolean {
    return this.#live || this.#confirmed.has(pod);
  }

  /** From the pod reflector: a watch stream opened or ended. */
  connected(open: boolean): void {
    this.#generation++;
    this.#open = open;
    this.#confirmed = new WeakSet();
    this.#target = undefined;
    if (this.#live && !open) this.#o.logger.info('pod watch disconnected: roles are confirmed with the API server until it has caught up again');
    this.#live = false;
    if (open) this.#fetchTarget();
  }

  /** From the pod reflector: everything up to this resourceVersion has been applied. */
  progress(resourceVersion: string): void {
    this.#seen = revision(resourceVersion);
    if (this.#live || !this.#open) return;
    if (this.#target === undefined) this.#fetchTarget();
    else this.#maybeLive();
  }

  /** Whether `pod` (the cache's answer for `ip`) is still the pod at that IP, by a consistent read. */
  check(pod: PodRecord, ip: string, signal: AbortSignal): Promise<PodCheck> {
    const key = `${ip}/${pod.uid}`;
    let check = this.#checks.get(key);
    if (!check) {
      // Remembered only if the stream was open when the read was sent and is still the same one when it answers.
      const generation = this.#open ? this.#generation : undefined;
      check = this.#read((s) => this.#verify(pod, ip, s))
        .then((result) => {
          if (result === 'current' && generation === this.#generation) this.#confirmed.add(pod);
          return result;
        })
        .finally(() => this.#checks.delete(key));
      this.#checks.set(key, check);
    }
    return abortable(check, signal, 'unknown' as const);
  }

  async #verify(pod: PodRecord, ip: string, signal: AbortSignal): Promise<PodCheck> {
    if (pod.podIPs[0] === ip) {
      // Every pod whose primary IP this is, by the same rules as the cache (IP reuse, ambiguity, hostNetwork).
      const found = new PodIndex({ ipChanged: () => {} });
      found.replace(await this.#o.reader.podsWithIp(ip, signal));
      const now = found.lookup(ip);
      return now.kind === 'pod' && now.pod.uid === pod.uid ? 'current' : 'stale';
    }
    // A secondary (IPv6) IP cannot be selected by field: the pod itself must still hold it, live.
    const obj = await this.#o.reader.pod(pod.namespace, pod.name, signal);
    if (!obj) return 'stale';
    const now = projectPod(obj);
    const holds = now.uid === pod.uid && now.podIPs.includes(ip) && !now.hostNetwork && !now.terminating && now.phase !== 'Succeeded' && now.phase !== 'Failed';
    return holds ? 'current' : 'stale';
  }

  /** Runs a read with the timeout; never rejects ('unknown', logged). */
  #read(read: (signal: AbortSignal) => Promise<PodCheck>): Promise<PodCheck> {
    const timeout = new AbortController();
    const timer = this.#o.clock.setTimeout(() => timeout.abort(new Error('timed out')), this.#o.readTimeoutMs);
    return read(timeout.signal)
      .catch((err: unknown) => {
        this.#o.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'cannot confirm a pod with the API server; the request waits for the pod watch');
        return 'unknown' as const;
      })
      .finally(() => timer.cancel());
  }

  #fetchTarget(): void {
    if (this.#fetching) return;
    this.#fetching = true;
    const generation = this.#generation;
    const timeout = new AbortController();
    const timer = this.#o.clock.setTimeout(() => timeout.abort(new Error('timed out')), this.#o.readTimeoutMs);
    void this.#o.reader
      .currentRevision(timeout.signal)
      .then(
        (rv) => {
          if (generation !== this.#generation) return;
          this.#target = revision(rv);
          this.#maybeLive();
        },
        (err: unknown) => this.#o.logger.debug({ err: err instanceof Error ? err.message : String(err) }, 'cannot read the current revision'),
      )
      .finally(() => {
        timer.cancel();
        this.#fetching = false;
        // A stream that opened meanwhile still needs its own target.
        if (this.#open && this.#target === undefined && generation !== this.#generation) this.#fetchTarget();
      });
  }

  #maybeLive(): void {
    if (this.#live || !this.#open || this.#target === undefined || this.#seen === undefined || this.#seen < this.#target) return;
    this.#live = true;
    this.#o.onLive();
  }
}
