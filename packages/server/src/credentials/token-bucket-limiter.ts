import type { Clock, Timer } from '@iam4kube/shared';
import type { RateLimit } from './bottleneck-limiter.js';
import type { CallPriority, Limiter } from './credentials.js';

const ORDER: readonly CallPriority[] = ['first', 'refresh', 'parked'];

interface Queued {
  run(): void;
  reject(err: Error): void;
}

/**
 * A token bucket on an injected Clock, with the same contract as the bottleneck limiter: `burst` tokens to start
 * with, refilled continuously at `rate` per second up to `burst`; one token per task; more urgent tasks first, in
 * arrival order within a priority. Used where time must be driven by a test (bottleneck keeps real time).
 */
export function createTokenBucketLimiter(options: RateLimit & { readonly clock: Clock }): Limiter & { stop(): void } {
  const { clock, rate, burst } = options;
  const queues = new Map<CallPriority, Queued[]>(ORDER.map((p) => [p, []]));
  let tokens = burst;
  let last = clock.now();
  let timer: Timer | undefined;
  let stopped = false;

  const queued = (): number => ORDER.reduce((n, p) => n + queues.get(p)!.length, 0);
  const next = (): Queued | undefined => {
    for (const p of ORDER) {
      const q = queues.get(p)!;
      if (q.length > 0) return q.shift();
    }
    return undefined;
  };
  const drain = (): void => {
    const now = clock.now();
    tokens = Math.min(burst, tokens + ((now - last) * rate) / 1000);
    last = now;
    while (tokens >= 1 && queued() > 0) {
      tokens -= 1;
      next()!.run();
    }
    if (queued() > 0 && !timer && !stopped) {
      timer = clock.setTimeout(() => {
        timer = undefined;
        drain();
      }, Math.max(1, Math.ceil(((1 - tokens) * 1000) / rate)));
    }
  };

  return {
    schedule<T>(task: () => Promise<T>, priority: CallPriority): Promise<T> {
      if (stopped) return Promise.reject(new Error('limiter stopped'));
      return new Promise<T>((resolve, reject) => {
        queues.get(priority)!.push({
          run: () => {
            try {
              task().then(resolve, reject);
            } catch (err) {
              reject(err as Error);
            }
          },
          reject,
        });
        drain();
      });
    },
    queued,
    stop() {
      stopped = true;
      timer?.cancel();
      for (const q of queues.values()) for (const job of q.splice(0)) job.reject(new Error('limiter stopped'));
    },
  };
}
