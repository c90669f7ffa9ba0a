import type { Timer } from '@iam4kube/shared';
import type { Credentials, CredentialsError } from './credentials.js';
import type { SessionRequest } from './session-request.js';

/**
 * fresh: usable credentials, nothing to do before the refresh point. refreshing: usable credentials and a refresh in
 * flight or being retried. pending: no usable credentials yet (first fetch, or expired during an outage): requests
 * wait. parked: STS refused the role for good; requests get the error at once (or the last credentials while they
 * are still usable).
 */
export type EntryState = 'fresh' | 'refreshing' | 'pending' | 'parked';
export const ENTRY_STATES: readonly EntryState[] = ['fresh', 'refreshing', 'pending', 'parked'];

export interface Waiter {
  resolve(credentials: Credentials): void;
  reject(error: Error): void;
}

/** One credentials entry: the STS session of one ServiceAccount, shared by the references to it. */
export interface Entry {
  readonly key: string;
  readonly lookup: string;
  readonly request: SessionRequest;
  refs: number;
  current: Credentials | undefined;
  fetching: boolean;
  /** Aborts the STS call in flight (on drop or shutdown). */
  cancelCall: (() => void) | undefined;
  /** Set when STS refused the role for good; cleared by the next success. */
  parked: CredentialsError | undefined;
  /** Consecutive transient failures, and consecutive retries while parked: the exponents of the two backoffs. */
  failures: number;
  parks: number;
  lastError: CredentialsError | undefined;
  /** What we ask STS for; lowered to 1 h for a role that refuses longer sessions. */
  durationSeconds: number;
  /** The scheduled refresh or retry. */
  timer: Timer | undefined;
  dropped: boolean;
  readonly waiters: Set<Waiter>;
  /** Whether serving these credentials below the normal minimum life has been logged. */
  lowLifeLogged: boolean;
}

export function newEntry(key: string, lookup: string, request: SessionRequest, durationSeconds: number): Entry {
  return {
    key,
    lookup,
    request,
    refs: 0,
    current: undefined,
    fetching: false,
    cancelCall: undefined,
    parked: undefined,
    failures: 0,
    parks: 0,
    lastError: undefined,
    durationSeconds,
    timer: undefined,
    dropped: false,
    waiters: new Set(),
    lowLifeLogged: false,
  };
}

/**
 * Whether the entry's credentials may be served at `now`: more than the safety margin left by the expiry the client
 * will read, which the metadata API writes in whole seconds (rounded down, as IMDS does): so a client never sees
 * less than the margin, even when STS (or a test) gives an expiry with milliseconds.
 */
export function usableAt(entry: Entry, now: number, safetyMarginMs: number): boolean {
  return entry.current !== undefined && Math.floor(entry.current.expiration / 1000) * 1000 - now > safetyMarginMs;
}

export function entryState(entry: Entry, now: number, safetyMarginMs: number): EntryState {
  if (entry.parked) return 'parked';
  if (!usableAt(entry, now, safetyMarginMs)) return 'pending';
  return entry.fetching || entry.failures > 0 ? 'refreshing' : 'fresh';
}

/** Waits for the entry's next credentials; leaves at once when the signal aborts. */
export function waitFor(entry: Entry, signal: AbortSignal): Promise<Credentials> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      entry.waiters.delete(waiter);
      reject(signal.reason);
    };
    const waiter: Waiter = {
      resolve(c) {
        signal.removeEventListener('abort', onAbort);
        resolve(c);
      },
      reject(e) {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    };
    entry.waiters.add(waiter);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export function settleWaiters(entry: Entry, outcome: { readonly credentials: Credentials } | { readonly error: Error }): void {
  const waiters = [...entry.waiters];
  entry.waiters.clear();
  for (const w of waiters) {
    if ('credentials' in outcome) w.resolve(outcome.credentials);
    else w.reject(outcome.error);
  }
}
