import { Counter, Histogram, type Registry } from 'prom-client';
import type { Assumer } from './credentials.js';
import { classifyStsError } from './classify-error.js';

/**
 * Wraps the Assumer to count STS calls by outcome (success, transient, permanent) and error code, and to time them
 * (the call itself, not the wait in the rate limiter).
 */
export function instrumentAssumer(assumer: Assumer, registry: Registry, now: () => number): Assumer {
  const calls = new Counter({
    name: 'iam4kube_sts_calls_total',
    help: 'STS AssumeRole calls by outcome (success, transient, permanent) and STS error code ("" on success).',
    labelNames: ['outcome', 'code'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'iam4kube_sts_call_duration_seconds',
    help: 'Latency of STS AssumeRole calls, by outcome.',
    labelNames: ['outcome'] as const,
    buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  return {
    async assumeRole(request, signal) {
      const started = now();
      try {
        const credentials = await assumer.assumeRole(request, signal);
        calls.inc({ outcome: 'success', code: '' });
        duration.observe({ outcome: 'success' }, (now() - started) / 1000);
        return credentials;
      } catch (err) {
        // A call we aborted (timeout) is counted under the reason we aborted it with.
        const error = classifyStsError(signal?.aborted ? signal.reason : err);
        const outcome = error.permanent ? 'permanent' : 'transient';
        calls.inc({ outcome, code: error.code });
        duration.observe({ outcome }, (now() - started) / 1000);
        throw error;
      }
    },
  };
}
