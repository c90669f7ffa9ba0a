import { Counter, Histogram, type Registry } from 'prom-client';

export interface MetadataMetrics {
  observe(route: string, status: number, seconds: number): void;
}

export function createMetadataMetrics(registry: Registry): MetadataMetrics {
  const requests = new Counter({
    name: 'iam4kube_metadata_requests_total',
    help: 'Metadata API requests by route and HTTP status.',
    labelNames: ['route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'iam4kube_metadata_request_duration_seconds',
    help: 'Metadata API request latency by route, including any wait for the cluster or STS.',
    labelNames: ['route'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1, 5, 15],
    registers: [registry],
  });
  return {
    observe(route, status, seconds) {
      requests.inc({ route, status: String(status) });
      duration.observe({ route }, seconds);
    },
  };
}
