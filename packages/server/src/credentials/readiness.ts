import type { Logger, ProbeResult } from '@iam4kube/shared';
import type { EntryView } from './credential-store.js';

/** A watch cache: ready to answer once its initial list is applied. */
export interface Cache {
  readonly name: string;
  readonly synced: boolean;
}

/** What readiness needs to know of a pod. */
export interface PodUse {
  readonly namespace: string;
  readonly serviceAccountName: string;
  readonly hostNetwork: boolean;
  readonly phase: string;
}

export interface ReadinessSources {
  caches(): readonly Cache[];
  entries(): readonly EntryView[];
  pods(): Iterable<PodUse>;
  stopping(): boolean;
  readonly logger: Logger;
}

/** How many blocking entries /readyz names. */
const SHOWN = 5;

/**
 * The readiness gate. A replica is ready once every watch cache is synced and every *live* credentials entry has
 * usable credentials or is parked (STS refused it for good: waiting would not help, and requests for it are
 * answered at once). An entry is live when its ServiceAccount is used by at least one pod that can ask for
 * credentials (not hostNetwork, not finished): those are the requests a new replica will get as soon as it is
 * ready. Entries of ServiceAccounts no pod uses are fetched all the same but do not hold readiness back: one
 * forgotten annotation must not stop a rollout. A replica that cannot reach STS keeps its live entries pending and
 * stays not ready while the old replicas serve.
 *
 * Once ready it stays ready until shutdown: a later STS outage is served from memory (static stability), and
 * flapping readiness would only move load onto the other replicas, which see the same STS.
 */
export function createReadinessGate(sources: ReadinessSources): () => ProbeResult {
  let latched = false;
  return () => {
    if (sources.stopping()) return { ok: false, detail: { reason: 'shutting down' } };
    if (latched) return { ok: true };
    const caches = sources.caches();
    const syncing = caches.filter((c) => !c.synced).map((c) => c.name);
    const cacheDetail = Object.fromEntries(caches.map((c) => [c.name, c.synced ? 'synced' : 'syncing']));
    if (syncing.length > 0) return { ok: false, detail: { reason: `caches not synced: ${syncing.join(', ')}`, caches: cacheDetail } };

    const live = liveServiceAccounts(sources.pods());
    const entries = sources.entries();
    let liveCount = 0;
    let parked = 0;
    const blocking: EntryView[] = [];
    for (const e of entries) {
      if (!live.has(`${e.request.namespace}/${e.request.serviceAccount}`)) continue;
      liveCount++;
      if (e.state === 'parked') parked++;
      else if (e.state === 'pending') blocking.push(e);
    }
    const credentials = {
      entries: entries.length,
      live: liveCount,
      usable: liveCount - parked - blocking.length,
      parked,
      pending: blocking.length,
      blocking: blocking.slice(0, SHOWN).map((e) => ({
        roleArn: e.request.roleArn,
        serviceAccount: `${e.request.namespace}/${e.request.serviceAccount}`,
        ...(e.error ? { lastError: e.error.code } : {}),
      })),
    };
    if (blocking.length > 0) {
      return { ok: false, detail: { reason: `${blocking.length} live credentials entries have no credentials yet`, caches: cacheDetail, credentials } };
    }
    latched = true;
    sources.logger.info({ caches: cacheDetail, credentials }, 'ready: caches synced and every live credentials entry settled');
    return { ok: true, detail: { caches: cacheDetail, credentials } };
  };
}

/** `namespace/name` of every ServiceAccount used by a pod that may ask for credentials. */
export function liveServiceAccounts(pods: Iterable<PodUse>): Set<string> {
  const live = new Set<string>();
  for (const p of pods) {
    if (p.hostNetwork || p.phase === 'Succeeded' || p.phase === 'Failed') continue;
    live.add(`${p.namespace}/${p.serviceAccountName}`);
  }
  return live;
}
