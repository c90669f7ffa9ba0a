import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface Ip2serviceMetrics {
  /** One sync ended; `durationMs` as measured by the runner. */
  syncSucceeded(info: { readonly durationMs: number; readonly backends: number; readonly jumpsRepaired: number }): void;
  syncFailed(info: { readonly durationMs: number }): void;
}

export interface Ip2serviceMetricsOptions {
  readonly registry: Registry;
  /**
   * Milliseconds since the last successful sync, or since the start while there has been none; read on every
   * scrape, so the gauge keeps growing when syncs stop (what an alert wants).
   */
  readonly syncAgeMs: () => number;
}

/** The agent's metrics, registered in the binary's own registry (never prom-client's global one). */
export function createIp2serviceMetrics(options: Ip2serviceMetricsOptions): Ip2serviceMetrics {
  const registers = [options.registry];
  const syncs = new Counter({
    name: 'iam4kube_ip2service_syncs_total',
    help: 'Syncs of the iptables rules, by outcome (success, error).',
    labelNames: ['outcome'] as const,
    registers,
  });
  // Both series exist from the start, so rate() and alerts on errors work before the first failure.
  syncs.inc({ outcome: 'success' }, 0);
  syncs.inc({ outcome: 'error' }, 0);
  const duration = new Histogram({
    name: 'iam4kube_ip2service_sync_duration_seconds',
    help: 'Time one sync took (list chains, iptables-restore, check the jumps), successful or not.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const backends = new Gauge({
    name: 'iam4kube_ip2service_backends',
    help: 'Server endpoints metadata traffic is spread over, as of the last successful sync (0: every connection is rejected).',
    registers,
  });
  new Gauge({
    name: 'iam4kube_ip2service_seconds_since_last_sync',
    help: 'Seconds since the last successful sync (since the start while there has been none).',
    registers,
    collect() {
      this.set(options.syncAgeMs() / 1000);
    },
  });
  const jumpsRepaired = new Counter({
    name: 'iam4kube_ip2service_jumps_repaired_total',
    help: 'Jump rules from built-in chains re-inserted after the first successful sync: someone flushed our rules or put a rule above them.',
    registers,
  });

  let firstSuccessSeen = false;
  return {
    syncSucceeded(info) {
      syncs.inc({ outcome: 'success' });
      duration.observe(info.durationMs / 1000);
      backends.set(info.backends);
      // The first successful sync inserts every jump: that is installing, not repairing.
      if (firstSuccessSeen) jumpsRepaired.inc(info.jumpsRepaired);
      firstSuccessSeen = true;
    },
    syncFailed(info) {
      syncs.inc({ outcome: 'error' });
      duration.observe(info.durationMs / 1000);
    },
  };
}
