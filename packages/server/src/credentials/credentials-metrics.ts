import { Counter, Gauge, type Registry } from 'prom-client';
import type { StoreMetrics, StoreSummary } from './credential-store.js';
import { ENTRY_STATES } from './entry.js';

/** Where the gauges read their values at scrape time. */
export interface CredentialsGaugeSources {
  summary(): StoreSummary;
  /** STS calls waiting in the rate limiter. */
  queued(): number;
  now(): number;
}

/**
 * The credentials engine's metrics, on the binary's own registry. Counters are fed by the store as things happen;
 * gauges are computed when Prometheus scrapes, from `sources` (bound after the store exists).
 */
export function createCredentialsMetrics(registry: Registry): StoreMetrics & { track(sources: CredentialsGaugeSources): void } {
  let sources: CredentialsGaugeSources | undefined;
  // A pass over the entries per gauge and scrape: cheap next to a scrape, and never stale.
  const current = (): StoreSummary | undefined => sources?.summary();
  const refreshes = new Counter({
    name: 'iam4kube_credentials_refreshes_total',
    help: 'Refreshes of credentials already held, by outcome (success, failure).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const parked = new Counter({
    name: 'iam4kube_credentials_parked_total',
    help: 'Times STS refused a role for good (the entry is parked), by STS error code.',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  const lowLife = new Counter({
    name: 'iam4kube_credentials_low_life_served_total',
    help: 'Credentials served with less than the normal remaining life (--refresh-before) because their refresh is overdue, e.g. during an STS outage.',
    registers: [registry],
  });
  new Gauge({
    name: 'iam4kube_credentials_entries',
    help: 'Credentials entries by state: fresh, refreshing (valid, refresh in flight or retrying), pending (no usable credentials yet), parked (refused by STS).',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const s = current();
      for (const state of ENTRY_STATES) this.set({ state }, s?.states[state] ?? 0);
    },
  });
  new Gauge({
    name: 'iam4kube_credentials_earliest_expiry_seconds',
    help: 'Seconds until the earliest expiry among the credentials held (NaN when none are held).',
    registers: [registry],
    collect() {
      const expiry = current()?.earliestExpiry;
      this.set(expiry === undefined || !sources ? Number.NaN : (expiry - sources.now()) / 1000);
    },
  });
  new Gauge({
    name: 'iam4kube_credentials_waiters',
    help: 'Requests currently waiting for credentials.',
    registers: [registry],
    collect() {
      this.set(current()?.waiters ?? 0);
    },
  });
  new Gauge({
    name: 'iam4kube_sts_limiter_queue_depth',
    help: 'STS calls waiting for the rate limiter.',
    registers: [registry],
    collect() {
      this.set(sources?.queued() ?? 0);
    },
  });
  return {
    refreshed: (outcome) => refreshes.inc({ outcome }),
    parked: (code) => parked.inc({ code }),
    lowLifeServed: () => lowLife.inc(),
    track(s) {
      sources = s;
    },
  };
}
