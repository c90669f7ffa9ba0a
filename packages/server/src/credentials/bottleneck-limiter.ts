import Bottleneck from 'bottleneck';
import type { Limiter } from './credentials.js';

export interface RateLimit {
  /** Sustained requests per second. */
  readonly rate: number;
  /** Requests allowed at once after a quiet period. */
  readonly burst: number;
}

/**
 * A token bucket on bottleneck: the reservoir holds `burst` tokens and gains one every 1/rate seconds, up to burst.
 */
export function createBottleneckLimiter(limit: RateLimit): Limiter & { readonly queued: () => number; stop(): Promise<void> } {
  const bottleneck = new Bottleneck({
    reservoir: limit.burst,
    reservoirIncreaseAmount: 1,
    reservoirIncreaseInterval: Math.max(1, Math.round(1000 / limit.rate)),
    reservoirIncreaseMaximum: limit.burst,
  });
  return {
    schedule: (task) => bottleneck.schedule(task),
    queued: () => bottleneck.queued(),
    stop: () => bottleneck.stop({ dropWaitingJobs: true }),
  };
}
