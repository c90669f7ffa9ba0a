import type { Clock, Timer } from '@iam4kube/shared';

/** Why a sync runs: the first one, an event, the periodic resync, or a retry after a failure. */
export type SyncReason = 'start' | 'request' | 'resync' | 'retry';

export interface SyncRunnerOptions<R = unknown> {
  readonly clock: Clock;
  /** One full sync; a rejection schedules a retry. */
  readonly sync: (reason: SyncReason) => Promise<R>;
  /** Least time between the starts of two syncs: a burst of requests inside it becomes one sync. */
  readonly minIntervalMs: number;
  /** Most time between the starts of two syncs: repairs rules someone else changed even without events. */
  readonly resyncPeriodMs: number;
  /** Retry delays after consecutive failures: initial, doubled each time, capped. */
  readonly backoff: { readonly initialMs: number; readonly maxMs: number };
  /** Observers for logs and metrics; called after each sync, must not throw (what they throw is ignored). */
  readonly onSuccess?: (info: { readonly reason: SyncReason; readonly durationMs: number; readonly result: R }) => void;
  readonly onFailure?: (
    error: unknown,
    info: { readonly reason: SyncReason; readonly durationMs: number; readonly consecutiveFailures: number; readonly retryInMs: number },
  ) => void;
}

/**
 * Runs syncs one at a time, at a bounded frequency, like kube-proxy's BoundedFrequencyRunner. Event handlers call
 * request(), which does no I/O and returns at once; requests that arrive while a sync runs or before the minimum
 * interval is over are merged into the next sync. Without requests, a sync still runs every resync period. After a
 * failure the next sync waits for the backoff delay whatever is requested meanwhile, so a broken iptables is not
 * hammered; every sync is full, so the retry applies whatever was requested.
 */
export class SyncRunner<R = unknown> {
  readonly #options: SyncRunnerOptions<R>;
  #started = false;
  #stopped = false;
  #timer: Timer | undefined;
  #timerAt = 0;
  #running: Promise<void> | undefined;
  #pending = false;
  #lastRunAt = 0;
  #failures = 0;
  #lastSuccessAt: number | undefined;

  constructor(options: SyncRunnerOptions<R>) {
    this.#options = options;
  }

  /** When the last successful sync finished (clock ms), for health checks; undefined before the first one. */
  get lastSuccessAt(): number | undefined {
    return this.#lastSuccessAt;
  }

  /** Failures since the last success. */
  get consecutiveFailures(): number {
    return this.#failures;
  }

  /** Runs the first sync now; start once the desired state is known (the endpoint cache has synced). */
  start(): void {
    if (this.#started || this.#stopped) return;
    this.#started = true;
    this.#fire('start');
  }

  /** Asks for a sync soon. Cheap and synchronous: call it from event handlers. */
  request(): void {
    if (this.#stopped) return;
    this.#pending = true;
    // Before start, while a sync runs and while backing off, the pending flag is enough: what runs next covers it.
    if (!this.#started || this.#running !== undefined || this.#failures > 0) return;
    this.#schedule(Math.max(this.#options.clock.now(), this.#lastRunAt + this.#options.minIntervalMs), 'request');
  }

  /** Stops scheduling and waits for a sync in progress to end, so cleanup can follow safely. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#timer = undefined;
    await this.#running;
  }

  /** Arms the timer for `at`, unless it is already armed for an earlier time. */
  #schedule(at: number, reason: SyncReason): void {
    if (this.#timer !== undefined && this.#timerAt <= at) return;
    this.#timer?.cancel();
    this.#timerAt = at;
    this.#timer = this.#options.clock.setTimeout(() => {
      this.#timer = undefined;
      this.#fire(reason);
    }, at - this.#options.clock.now());
  }

  #fire(reason: SyncReason): void {
    this.#running = this.#run(reason).finally(() => {
      this.#running = undefined;
      this.#scheduleNext();
    });
  }

  /** Never rejects: a failure is counted and reported. */
  async #run(reason: SyncReason): Promise<void> {
    const { clock } = this.#options;
    this.#pending = false;
    const startedAt = clock.now();
    this.#lastRunAt = startedAt;
    let result: R;
    try {
      result = await this.#options.sync(reason);
    } catch (error) {
      this.#failures++;
      const retryInMs = this.#retryDelay();
      const info = { reason, durationMs: clock.now() - startedAt, consecutiveFailures: this.#failures, retryInMs };
      notify(() => this.#options.onFailure?.(error, info));
      return;
    }
    this.#failures = 0;
    this.#lastSuccessAt = clock.now();
    notify(() => this.#options.onSuccess?.({ reason, durationMs: clock.now() - startedAt, result }));
  }

  #scheduleNext(): void {
    if (this.#stopped) return;
    const { clock, minIntervalMs, resyncPeriodMs } = this.#options;
    const earliest = this.#lastRunAt + minIntervalMs;
    if (this.#failures > 0) this.#schedule(Math.max(clock.now() + this.#retryDelay(), earliest), 'retry');
    else if (this.#pending) this.#schedule(Math.max(clock.now(), earliest), 'request');
    else this.#schedule(this.#lastRunAt + resyncPeriodMs, 'resync');
  }

  #retryDelay(): number {
    const { initialMs, maxMs } = this.#options.backoff;
    return Math.min(maxMs, initialMs * 2 ** Math.min(this.#failures - 1, 30));
  }
}

function notify(observer: () => void): void {
  try {
    observer();
  } catch {
    // An observer that throws must not stop the loop.
  }
}
