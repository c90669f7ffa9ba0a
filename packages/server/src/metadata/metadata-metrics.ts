import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { BucketHistogram, type HistogramSeries } from '@iam4kube/shared';
import type { TokenCheck } from './imds-token.js';

/** What a request waited for: the cluster (its pod or ServiceAccount not seen yet) or credentials still in flight. */
export type WaitKind = 'caller' | 'credentials';
/** How a wait ended: answered, out of time, the client hung up, or the credentials fetch failed. */
export type WaitOutcome = 'answered' | 'deadline' | 'client-gone' | 'failed';
/** What became of a token: issued by a PUT, or the result of checking one a request presented. */
export type TokenEvent = 'issued' | TokenCheck;

export interface MetadataMetrics {
  /** One finished request (`route` is a route name, `malformed` for what the HTTP parser refused, or `other`). */
  observe(route: string, status: number, seconds: number): void;
  /** A request that could not be answered from memory at once. */
  waited(kind: WaitKind, outcome: WaitOutcome, seconds: number): void;
  token(event: TokenEvent): void;
  /** +1 when a request starts, -1 when it ends. */
  inFlight(delta: 1 | -1): void;
}

export function createMetadataMetrics(registry: Registry): MetadataMetrics {
  // Per-request counts are kept in plain numbers and added to the counters when they are read (a scrape): a request
  // costs a Map lookup instead of prom-client's label hashing. A scrape sees every request that ended before it.
  const pendingRequests = new Map<string, Map<number, number>>();
  const pendingTokens = new Map<TokenEvent, number>();
  const requests: Counter<'route' | 'status'> = new Counter({
    name: 'iam4kube_metadata_requests_total',
    help: 'Metadata API requests by route and HTTP status.',
    labelNames: ['route', 'status'] as const,
    registers: [registry],
    collect() {
      for (const [route, byStatus] of pendingRequests) {
        for (const [status, n] of byStatus) if (n > 0) requests.inc({ route, status: String(status) }, n);
        byStatus.clear();
      }
    },
  });
  // Observed on every request: a histogram whose series are taken once per route (no label hashing per request).
  const duration = new BucketHistogram({
    name: 'iam4kube_metadata_request_duration_seconds',
    help: 'Metadata API request latency by route, including any wait for the cluster or STS.',
    labelNames: ['route'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1, 5, 15],
    registers: [registry],
  });
  const routeSeries = new Map<string, HistogramSeries>();
  const waits = new Histogram({
    name: 'iam4kube_metadata_wait_duration_seconds',
    help: 'Requests that waited (for their pod or ServiceAccount to be seen, or for credentials in flight): how long, by what they waited for and how the wait ended.',
    labelNames: ['kind', 'outcome'] as const,
    buckets: [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60],
    registers: [registry],
  });
  const tokens: Counter<'result'> = new Counter({
    name: 'iam4kube_metadata_tokens_total',
    help: 'IMDSv2 tokens issued, and presented tokens by verdict (valid, invalid, expired, foreign: signed with a key this replica does not hold).',
    labelNames: ['result'] as const,
    registers: [registry],
    collect() {
      for (const [result, n] of pendingTokens) if (n > 0) tokens.inc({ result }, n);
      pendingTokens.clear();
    },
  });
  const inFlight = new Gauge({
    name: 'iam4kube_metadata_requests_in_flight',
    help: 'Metadata API requests being served now (waiting ones included).',
    registers: [registry],
  });
  return {
    observe(route, status, seconds) {
      let byStatus = pendingRequests.get(route);
      if (!byStatus) pendingRequests.set(route, (byStatus = new Map()));
      byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
      let series = routeSeries.get(route);
      if (!series) routeSeries.set(route, (series = duration.series(route)));
      series.observe(seconds);
    },
    waited(kind, outcome, seconds) {
      waits.observe({ kind, outcome }, seconds);
    },
    token(event) {
      pendingTokens.set(event, (pendingTokens.get(event) ?? 0) + 1);
    },
    inFlight(delta) {
      inFlight.inc(delta);
    },
  };
}

/** For tests and tools that do not look at metrics. */
export const noMetadataMetrics: MetadataMetrics = {
  observe: () => undefined,
  waited: () => undefined,
  token: () => undefined,
  inFlight: () => undefined,
};
