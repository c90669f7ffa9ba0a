import type { Clock, Logger } from '@iam4kube/shared';
import type { PodRecord } from '../kube/pod-record.js';
import { serviceAccountKey, type ServiceAccountRecord } from '../kube/service-account-index.js';
import type { ServiceAccountVersionProbe } from '../kube/service-account-probe.js';
import { abortable } from './abortable.js';

export interface ServiceAccountCatchUpOptions {
  readonly probe: ServiceAccountVersionProbe;
  /** The newest resourceVersion the ServiceAccount reflector has seen (events and bookmarks). */
  readonly watchedVersion: () => string;
  readonly logger: Logger;
  readonly clock: Clock;
  /** A probe that takes longer is given up (default 5 s). */
  readonly probeTimeoutMs?: number;
  /** ServiceAccounts whose freshness is remembered; all is forgotten past this (default 10,000). */
  readonly maxRemembered?: number;
}

/**
 * Knows whether the ServiceAccount cache can be trusted for a pod: whether it holds every change of the pod's
 * ServiceAccount made up to the pod's own revision. Pods and ServiceAccounts are watched on separate streams that
 * may run apart; without this, "annotate the ServiceAccount, then create the pod" could be answered "no role" by a
 * replica whose ServiceAccount watch lags its pod watch.
 *
 * Both streams carry revisions of the one etcd store, so when the ServiceAccount watch has reached the pod's revision
 * the cache is current. Otherwise one consistent GET of that ServiceAccount tells whether the cache already holds its
 * latest version (then it is current, and that is remembered for the pod's revision) or an event is still on its way.
 */
export class ServiceAccountCatchUp {
  readonly #o: Required<ServiceAccountCatchUpOptions>;
  /** ServiceAccount key → the highest pod revision for which its cached version was confirmed current. */
  readonly #confirmed = new Map<string, number>();
  /** Probes in flight, by ServiceAccount key and pod revision: requests from one pod share one GET. */
  readonly #inFlight = new Map<string, Promise<string | null | undefined>>();

  constructor(options: ServiceAccountCatchUpOptions) {
    this.#o = { maxRemembered: 10_000, probeTimeoutMs: 5000, ...options };
  }

  /** True when the cache is known to reflect every change of the pod's ServiceAccount up to the pod's revision. */
  isCurrent(pod: PodRecord): boolean {
    const podVersion = revision(pod.resourceVersion);
    if (podVersion === undefined) return false;
    const watched = revision(this.#o.watchedVersion());
    if (watched !== undefined && watched >= podVersion) return true;
    const confirmed = this.#confirmed.get(serviceAccountKey(pod.namespace, pod.serviceAccountName));
    return confirmed !== undefined && confirmed >= podVersion;
  }

  /**
   * The pod's ServiceAccount's current resourceVersion from the API server (null: it does not exist), read after the
   * pod's revision; undefined when the API server could not say (the caller then answers from the cache).
   */
  probe(pod: PodRecord, signal: AbortSignal): Promise<string | null | undefined> {
    const key = `${serviceAccountKey(pod.namespace, pod.serviceAccountName)}@${pod.resourceVersion}`;
    let probe = this.#inFlight.get(key);
    if (!probe) {
      // Not tied to one request's signal (others may join): it ends with the API server's answer or the timeout.
      const timeout = new AbortController();
      const timer = this.#o.clock.setTimeout(() => timeout.abort(new Error('timed out')), this.#o.probeTimeoutMs);
      const run = this.#o.probe.currentVersion(pod.namespace, pod.serviceAccountName, timeout.signal).then(
        (version) => version,
        (err: unknown) => {
          this.#o.logger.warn({ serviceAccount: key, err: err instanceof Error ? err.message : String(err) }, 'cannot check the ServiceAccount cache; answering from it');
          return undefined;
        },
      );
      probe = run.finally(() => {
        timer.cancel();
        this.#inFlight.delete(key);
      });
      this.#inFlight.set(key, probe);
    }
    return abortable(probe, signal, undefined);
  }

  /** Whether the cached record holds the probed version (or a newer one). */
  holds(cached: ServiceAccountRecord | undefined, probed: string | null): boolean {
    if (probed === null) return cached === undefined;
    if (cached === undefined) return false;
    if (cached.resourceVersion === probed) return true;
    const have = revision(cached.resourceVersion);
    const want = revision(probed);
    return have !== undefined && want !== undefined && have >= want;
  }

  /** Remembers that the cache was current for this pod's ServiceAccount at the pod's revision. */
  confirm(pod: PodRecord): void {
    const podVersion = revision(pod.resourceVersion);
    if (podVersion === undefined) return;
    const key = serviceAccountKey(pod.namespace, pod.serviceAccountName);
    if (this.#confirmed.size >= this.#o.maxRemembered) this.#forgetStale();
    if ((this.#confirmed.get(key) ?? -1) < podVersion) this.#confirmed.set(key, podVersion);
  }

  /** Drops what the watch has overtaken (and everything, when that is not enough: it only costs a GET). */
  #forgetStale(): void {
    const watched = revision(this.#o.watchedVersion()) ?? -1;
    for (const [key, version] of this.#confirmed) if (version <= watched) this.#confirmed.delete(key);
    if (this.#confirmed.size >= this.#o.maxRemembered) this.#confirmed.clear();
  }
}

/** A resourceVersion as a number when it is one (etcd revisions are); undefined otherwise (opaque: never compared). */
export function revision(resourceVersion: string): number | undefined {
  if (!/^\d{1,15}$/.test(resourceVersion)) return undefined;
  return Number(resourceVersion);
}
