import type { Clock, Logger } from '@iam4kube/shared';
import { CredentialsError, type Assumer, type Credentials, type Limiter } from './credentials.js';
import { assumeWithin } from './bounded-call.js';
import { classifyStsError, isDurationTooLong } from './classify-error.js';
import { ENTRY_STATES, entryState, newEntry, settleWaiters, usableAt, waitFor, type Entry, type EntryState } from './entry.js';
import { lookupKey, sessionKey, type SessionLookup, type SessionRequest } from './session-request.js';
import { ONE_HOUR_SECONDS, backoffDelayMs, refreshDelayMs } from './session-timing.js';

/** What the store reports as it goes; gauges are read from summary(). */
export interface StoreMetrics {
  refreshed(outcome: 'success' | 'failure'): void;
  parked(code: string): void;
  lowLifeServed(): void;
}

export interface CredentialStoreOptions {
  readonly assumer: Assumer;
  readonly limiter: Limiter;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly sessionDurationMs: number;
  /** Refresh when this much life is left (see session-timing.ts); also the normal minimum life served. */
  readonly refreshBeforeMs: number;
  /** Never serve credentials with less life than this. */
  readonly safetyMarginMs: number;
  /** Bound on one STS call, from when the limiter lets it go. */
  readonly callTimeoutMs: number;
  /** Backoff for transient errors: first delay and cap. */
  readonly retryInitialMs: number;
  readonly retryMaxMs: number;
  /** Backoff for retries of a parked (permanently refused) role: first delay and cap. */
  readonly parkInitialMs: number;
  readonly parkMaxMs: number;
  readonly metrics?: StoreMetrics;
  /** Called each time STS refuses a role for good (for Events). */
  readonly onParked?: (request: SessionRequest, error: CredentialsError) => void;
  readonly random?: () => number;
}

/** A read-only view of an entry, for readiness and diagnostics. */
export interface EntryView {
  readonly request: SessionRequest;
  readonly state: EntryState;
  readonly error: CredentialsError | undefined;
}

export interface StoreSummary {
  readonly states: Readonly<Record<EntryState, number>>;
  /** Earliest expiry (clock ms) of the credentials held, if any. */
  readonly earliestExpiry: number | undefined;
  readonly waiters: number;
}

const NO_METRICS: StoreMetrics = { refreshed: () => undefined, parked: () => undefined, lowLifeServed: () => undefined };

/**
 * One credentials entry per STS session (role, external ID, session name, and tags / SourceIdentity when on),
 * reference-counted by the ServiceAccounts bound to it: fetched as soon as the first one appears, refreshed ahead of
 * expiry, dropped with the last one. Requests are served from memory; they wait only when no usable credentials
 * exist, and then share the one fetch in progress. Every STS call goes through the limiter.
 */
export class CredentialStore {
  readonly #o: CredentialStoreOptions;
  readonly #entries = new Map<string, Entry>();
  readonly #byLookup = new Map<string, Entry>();
  /** The lookup key of each binding object seen by peek() (bindings live as long as their ServiceAccount revision). */
  readonly #lookupKeys = new WeakMap<SessionLookup, string>();
  readonly #random: () => number;
  readonly #metrics: StoreMetrics;

  constructor(options: CredentialStoreOptions) {
    this.#o = options;
    this.#random = options.random ?? Math.random;
    this.#metrics = options.metrics ?? NO_METRICS;
  }

  /** A ServiceAccount uses this session: create (and prefetch) the entry on the first reference. */
  retain(request: SessionRequest): void {
    const key = sessionKey(request);
    let entry = this.#entries.get(key);
    if (!entry) {
      entry = newEntry(key, lookupKey(request), request, Math.round(this.#o.sessionDurationMs / 1000));
      this.#entries.set(key, entry);
      this.#byLookup.set(entry.lookup, entry);
      this.#fetch(entry);
    }
    entry.refs++;
  }

  /** Drops the entry with its last reference; requests still waiting on it are answered with an error. */
  release(request: SessionRequest): void {
    const entry = this.#entries.get(sessionKey(request));
    if (!entry || --entry.refs > 0) return;
    this.#drop(entry, new CredentialsError('the ServiceAccount no longer uses this role', 'Released', false));
  }

  /**
   * Credentials for a caller's binding: from memory while usable; for a parked role its error at once; otherwise
   * they wait for the fetch or retry in progress, until the signal aborts.
   */
  async get(lookup: SessionLookup, signal: AbortSignal): Promise<Credentials> {
    const entry = this.#byLookup.get(lookupKey(lookup));
    if (!entry) throw new CredentialsError('no credentials entry for this role', 'NotRetained', false);
    const served = this.#serve(entry);
    if (served) return served;
    if (entry.parked) throw entry.parked;
    // Not in backoff and nothing in flight (a refresh point set past the safety margin): fetch now.
    if (!entry.fetching && entry.failures === 0) this.#fetch(entry);
    return waitFor(entry, signal);
  }

  /**
   * What get() answers at once (usable credentials, low life reported), without waiting: the metadata fast path,
   * which passes the time it read for the request (the store's clock otherwise).
   */
  peek(lookup: SessionLookup, now?: number): Credentials | undefined {
    let key = this.#lookupKeys.get(lookup);
    if (key === undefined) {
      key = lookupKey(lookup);
      this.#lookupKeys.set(lookup, key);
    }
    const entry = this.#byLookup.get(key);
    return entry && this.#serve(entry, now);
  }

  /** The entry's credentials if they may be served now (reporting a low life); undefined when they may not. */
  #serve(entry: Entry, now = this.#o.clock.now()): Credentials | undefined {
    if (!usableAt(entry, now, this.#o.safetyMarginMs)) return undefined;
    const credentials = entry.current!;
    if (credentials.expiration - now < this.#o.refreshBeforeMs) this.#servedLowLife(entry, credentials.expiration - now);
    return credentials;
  }

  entries(): EntryView[] {
    const now = this.#o.clock.now();
    return [...this.#entries.values()].map((e) => ({ request: e.request, state: entryState(e, now, this.#o.safetyMarginMs), error: e.parked ?? e.lastError }));
  }

  summary(): StoreSummary {
    const now = this.#o.clock.now();
    const states = Object.fromEntries(ENTRY_STATES.map((s) => [s, 0])) as Record<EntryState, number>;
    let earliestExpiry: number | undefined;
    let waiters = 0;
    for (const e of this.#entries.values()) {
      states[entryState(e, now, this.#o.safetyMarginMs)]++;
      if (e.current && (earliestExpiry === undefined || e.current.expiration < earliestExpiry)) earliestExpiry = e.current.expiration;
      waiters += e.waiters.size;
    }
    return { states, earliestExpiry, waiters };
  }

  /** Cancels every timer and answers every waiter. */
  stop(): void {
    for (const e of [...this.#entries.values()]) this.#drop(e, new CredentialsError('the server is shutting down', 'ShuttingDown', false));
  }

  #drop(entry: Entry, reason: CredentialsError): void {
    entry.dropped = true;
    entry.timer?.cancel();
    entry.cancelCall?.();
    this.#entries.delete(entry.key);
    if (this.#byLookup.get(entry.lookup) === entry) this.#byLookup.delete(entry.lookup);
    settleWaiters(entry, { error: reason });
  }

  #fetch(entry: Entry): void {
    if (entry.fetching || entry.dropped) return;
    entry.timer?.cancel();
    entry.timer = undefined;
    entry.fetching = true;
    const usable = usableAt(entry, this.#o.clock.now(), this.#o.safetyMarginMs);
    const refresh = entry.current !== undefined;
    void this.#o.limiter.schedule(() => this.#call(entry), entry.parked ? 'parked' : usable ? 'refresh' : 'first').then(
      (credentials) => this.#succeeded(entry, credentials, refresh),
      (err: unknown) => this.#failed(entry, classifyStsError(err), refresh),
    );
  }

  /** One AssumeRole, bounded by the call timeout. Skipped when the entry was dropped while queued. */
  #call(entry: Entry): Promise<Credentials> {
    if (entry.dropped) return Promise.reject(new CredentialsError('dropped while queued', 'Released', false));
    const { request } = entry;
    const call = assumeWithin(
      this.#o.assumer,
      {
        roleArn: request.roleArn,
        sessionName: request.sessionName,
        externalId: request.externalId,
        durationSeconds: entry.durationSeconds,
        tags: request.tags,
        sourceIdentity: request.sourceIdentity,
      },
      this.#o.clock,
      this.#o.callTimeoutMs,
    );
    entry.cancelCall = () => call.cancel(new CredentialsError('the entry was dropped', 'Released', false));
    return call.result.finally(() => {
      entry.cancelCall = undefined;
    });
  }

  #succeeded(entry: Entry, credentials: Credentials, refresh: boolean): void {
    entry.fetching = false;
    if (entry.dropped) return;
    const recovered = entry.failures > 0 || entry.parked !== undefined;
    Object.assign(entry, { current: credentials, parked: undefined, failures: 0, parks: 0, lastError: undefined, lowLifeLogged: false });
    if (refresh) this.#metrics.refreshed('success');
    const now = this.#o.clock.now();
    const { request } = entry;
    const fields = { roleArn: request.roleArn, sessionName: request.sessionName, expiration: new Date(credentials.expiration).toISOString() };
    if (!refresh || recovered) this.#o.logger.info(fields, recovered ? 'credentials fetched again after failures' : 'credentials fetched');
    else this.#o.logger.debug(fields, 'credentials refreshed');
    settleWaiters(entry, { credentials });
    this.#schedule(entry, refreshDelayMs(credentials.expiration - now, this.#o.refreshBeforeMs, this.#random()));
  }

  #failed(entry: Entry, error: CredentialsError, refresh: boolean): void {
    entry.fetching = false;
    if (entry.dropped) return;
    if (refresh) this.#metrics.refreshed('failure');
    entry.lastError = error;
    const { roleArn, sessionName } = entry.request;
    if (isDurationTooLong(error) && entry.durationSeconds > ONE_HOUR_SECONDS) {
      this.#o.logger.warn({ roleArn, sessionName, reason: error.message }, 'STS refused the session duration for this role: asking for 1h');
      entry.durationSeconds = ONE_HOUR_SECONDS;
      this.#fetch(entry);
      return;
    }
    if (error.permanent || entry.parked) {
      if (error.permanent) entry.parked = error;
      const delay = backoffDelayMs(entry.parks++, this.#o.parkInitialMs, this.#o.parkMaxMs, this.#random());
      if (error.permanent) {
        this.#o.logger.warn({ roleArn, sessionName, code: error.code, reason: error.message, retryInMs: delay }, 'role parked: STS refused it');
        this.#metrics.parked(error.code);
        settleWaiters(entry, { error });
        this.#o.onParked?.(entry.request, error);
      }
      this.#schedule(entry, delay);
      return;
    }
    const delay = backoffDelayMs(entry.failures++, this.#o.retryInitialMs, this.#o.retryMaxMs, this.#random());
    // One warning per streak of failures (an outage would otherwise log every retry of every entry).
    const level = entry.failures === 1 ? 'warn' : 'debug';
    this.#o.logger[level]({ roleArn, sessionName, code: error.code, reason: error.message, failures: entry.failures, retryInMs: delay }, 'STS call failed, retrying');
    this.#schedule(entry, delay);
  }

  #servedLowLife(entry: Entry, lifeMs: number): void {
    this.#metrics.lowLifeServed();
    if (entry.lowLifeLogged) return;
    entry.lowLifeLogged = true;
    const { roleArn, sessionName } = entry.request;
    this.#o.logger.warn(
      { roleArn, sessionName, lifeSeconds: Math.round(lifeMs / 1000), code: entry.lastError?.code },
      'serving credentials with less than the normal remaining life: their refresh is overdue',
    );
  }

  #schedule(entry: Entry, delayMs: number): void {
    entry.timer?.cancel();
    entry.timer = this.#o.clock.setTimeout(() => {
      entry.timer = undefined;
      this.#fetch(entry);
    }, delayMs);
  }
}
