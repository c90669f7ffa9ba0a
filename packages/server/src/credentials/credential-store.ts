import type { Clock, Logger, Timer } from '@iam4kube/shared';
import type { RoleBinding } from '../identity/role-binding.js';
import type { RoleOf } from '../identity/resolver.js';
import { CredentialsError, type Assumer, type Credentials, type Limiter } from './credentials.js';

export type RoleBindingOf = RoleOf<RoleBinding>;

export interface CredentialStoreOptions {
  readonly assumer: Assumer;
  readonly limiter: Limiter;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly sessionDurationMs: number;
  /** Refresh when this much life is left (default policy: 30 min for 1 h sessions). */
  readonly refreshBeforeMs: number;
  /** Never serve credentials with less life than this. */
  readonly safetyMarginMs: number;
  /** How long a permanently failed entry stays parked before it is tried again. */
  readonly parkedRetryMs: number;
  /** Backoff for transient errors: first delay and cap. */
  readonly retryInitialMs: number;
  readonly retryMaxMs: number;
  readonly random?: () => number;
}

interface Entry {
  readonly key: string;
  readonly binding: RoleBindingOf;
  refs: number;
  current: Credentials | undefined;
  inflight: Promise<Credentials> | undefined;
  parked: CredentialsError | undefined;
  failures: number;
  timer: Timer | undefined;
  dropped: boolean;
}

export function entryKey(binding: RoleBindingOf): string {
  return `${binding.roleArn}|${binding.externalId ?? ''}|${binding.sessionName}`;
}

export interface StoreStatus {
  readonly entries: number;
  readonly fresh: number;
  readonly pending: number;
  readonly parked: number;
  readonly blocking: readonly string[];
}

/**
 * One credentials entry per (role, external ID, session name), reference-counted by the ServiceAccounts bound to
 * it: fetched as soon as the first one appears, refreshed ahead of expiry, dropped with the last one. Concurrent
 * demands share one STS call.
 */
export class CredentialStore {
  readonly #o: CredentialStoreOptions;
  readonly #entries = new Map<string, Entry>();
  readonly #random: () => number;

  constructor(options: CredentialStoreOptions) {
    this.#o = options;
    this.#random = options.random ?? Math.random;
  }

  retain(binding: RoleBindingOf): void {
    const key = entryKey(binding);
    let entry = this.#entries.get(key);
    if (!entry) {
      entry = { key, binding, refs: 0, current: undefined, inflight: undefined, parked: undefined, failures: 0, timer: undefined, dropped: false };
      this.#entries.set(key, entry);
      this.#fetch(entry).catch(() => undefined);
    }
    entry.refs++;
  }

  release(binding: RoleBindingOf): void {
    const entry = this.#entries.get(entryKey(binding));
    if (!entry || --entry.refs > 0) return;
    entry.dropped = true;
    entry.timer?.cancel();
    this.#entries.delete(entry.key);
  }

  /** Credentials for a binding: from memory when fresh, else the in-flight or a new fetch. */
  async get(binding: RoleBindingOf, signal: AbortSignal): Promise<Credentials> {
    const entry = this.#entries.get(entryKey(binding));
    if (!entry) throw new CredentialsError('no credentials entry for this role', 'NotRetained', false);
    const usable = this.#usable(entry.current);
    if (usable) return usable;
    if (entry.parked) throw entry.parked;
    const pending = entry.inflight ?? this.#fetch(entry);
    return abortable(pending, signal);
  }

  status(): StoreStatus {
    let fresh = 0;
    let parked = 0;
    const blocking: string[] = [];
    for (const e of this.#entries.values()) {
      if (this.#usable(e.current)) fresh++;
      else if (e.parked) parked++;
      else blocking.push(e.binding.roleArn);
    }
    return { entries: this.#entries.size, fresh, parked, pending: blocking.length, blocking: blocking.slice(0, 5) };
  }

  stop(): void {
    for (const e of this.#entries.values()) e.timer?.cancel();
  }

  #usable(c: Credentials | undefined): Credentials | undefined {
    return c && c.expiration - this.#o.clock.now() > this.#o.safetyMarginMs ? c : undefined;
  }

  #fetch(entry: Entry): Promise<Credentials> {
    if (entry.inflight) return entry.inflight;
    const { binding } = entry;
    const started = this.#o.clock.now();
    entry.inflight = this.#o.limiter
      .schedule(() =>
        this.#o.assumer.assumeRole({
          roleArn: binding.roleArn,
          sessionName: binding.sessionName,
          externalId: binding.externalId,
          durationSeconds: Math.round(this.#o.sessionDurationMs / 1000),
        }),
      )
      .then(
        (credentials) => {
          entry.inflight = undefined;
          entry.current = credentials;
          entry.parked = undefined;
          entry.failures = 0;
          this.#o.logger.info(
            { roleArn: binding.roleArn, sessionName: binding.sessionName, expiration: new Date(credentials.expiration).toISOString(), ms: this.#o.clock.now() - started },
            'credentials fetched',
          );
          this.#schedule(entry, this.#refreshDelay(credentials));
          return credentials;
        },
        (err: unknown) => {
          entry.inflight = undefined;
          const error = err instanceof CredentialsError ? err : new CredentialsError(String(err), 'UnknownError', false);
          if (error.permanent) {
            entry.parked = error;
            this.#o.logger.warn({ roleArn: binding.roleArn, code: error.code, reason: error.message }, 'role parked: STS refused it');
            this.#schedule(entry, this.#o.parkedRetryMs);
          } else {
            const ceiling = Math.min(this.#o.retryMaxMs, this.#o.retryInitialMs * 2 ** entry.failures++);
            const delay = Math.round(ceiling / 2 + (this.#random() * ceiling) / 2);
            this.#o.logger.warn({ roleArn: binding.roleArn, code: error.code, reason: error.message, retryInMs: delay }, 'STS call failed, retrying');
            this.#schedule(entry, delay);
          }
          throw error;
        },
      );
    return entry.inflight;
  }

  /** Refresh when `refreshBefore` is left, minus up to 10% of the session as jitter so a fleet spreads out. */
  #refreshDelay(c: Credentials): number {
    const at = c.expiration - this.#o.refreshBeforeMs - this.#random() * 0.1 * this.#o.sessionDurationMs;
    return Math.max(0, at - this.#o.clock.now());
  }

  #schedule(entry: Entry, delayMs: number): void {
    entry.timer?.cancel();
    if (entry.dropped) return;
    entry.timer = this.#o.clock.setTimeout(() => {
      entry.timer = undefined;
      if (!entry.dropped) this.#fetch(entry).catch(() => undefined);
    }, delayMs);
  }
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
