import { Registry, collectDefaultMetrics } from 'prom-client';

export type { Registry } from 'prom-client';

export interface MetricsRegistryOptions {
  /** Process metrics (CPU, memory, event loop lag, GC) as `iam4kube_process_*` / `iam4kube_nodejs_*`. */
  readonly processMetrics?: boolean;
}

/**
 * A fresh registry per binary (never prom-client's global one), so that tests and several apps in one process do
 * not share counters.
 */
export function createMetricsRegistry(options: MetricsRegistryOptions = {}): Registry {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'iam4kube_' });
  return registry;
}
