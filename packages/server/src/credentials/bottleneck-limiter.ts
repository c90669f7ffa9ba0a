import Bottleneck from 'bottleneck';
import { MAX_STS_CALLS_IN_FLIGHT, type CallPriority, type Limiter } from './credentials.js';

export interface RateLimit {
  /** Sustained requests per second. */
  readonly rate: number;
  /** Requests allowed at once after a quiet period. */
  readonly burst: number;
}

/** bottleneck priorities: 0 runs first, 9 last. */
const PRIORITY: Record<CallPriority, number> = { first: 1, refresh: 5, parked: 8 };

/** Heartbeats at most this often, adding more than one token per beat at high rates. */
const MIN_HEARTBEAT_MS = 50;

/** `heartbeatInterval` is a real bottleneck option (its local store reads it) missing from its typings. */
export type BottleneckSettings = Bottleneck.ConstructorOptions & { readonly heartbeatInterval: number };

/**
 * bottleneck settings for a token bucket: the reservoir holds `burst` tokens and gains tokens at `rate`, up to burst.
 *
 * bottleneck adds `reservoirIncreaseAmount` on a heartbeat (every `heartbeatInterval`, 250 ms by default), at most
 * once per beat and only when `reservoirIncreaseInterval` has passed since the last increase. With the default
 * heartbeat a 100 ms interval gives 4 tokens/s, not 10. So the heartbeat *is* the refill period, and the interval is
 * half of it so that every beat adds its tokens even when a timer fires a little early.
 */
export function bottleneckSettings(limit: RateLimit): BottleneckSettings {
  const amount = Math.min(limit.burst, Math.max(1, Math.ceil((limit.rate * MIN_HEARTBEAT_MS) / 1000)));
  const heartbeatInterval = Math.max(1, Math.round((amount * 1000) / limit.rate));
  return {
    reservoir: limit.burst,
    reservoirIncreaseAmount: amount,
    reservoirIncreaseMaximum: limit.burst,
    reservoirIncreaseInterval: Math.max(1, Math.floor(heartbeatInterval / 2)),
    heartbeatInterval,
  };
}

/**
 * The production limiter: bottleneck as a token bucket (it keeps real time, so tests use a token bucket on a Clock),
 * with at most MAX_STS_CALLS_IN_FLIGHT calls running.
 */
export function createBottleneckLimiter(limit: RateLimit): Limiter & { stop(): Promise<void> } {
  const bottleneck = new Bottleneck({ ...bottleneckSettings(limit), maxConcurrent: MAX_STS_CALLS_IN_FLIGHT });
  return {
    schedule: (task, priority) => bottleneck.schedule({ priority: PRIORITY[priority] }, task),
    queued: () => bottleneck.queued(),
    stop: () => bottleneck.stop({ dropWaitingJobs: true }),
  };
}
