/**
 * The record of every request the emulator received, for assertions, and a way to wait for calls without sleeping.
 */
import { readStringList, readStructList } from './query-params.js';
import type { QueryParams } from './query-params.js';

export interface StsCallParams {
  readonly RoleArn?: string;
  readonly RoleSessionName?: string;
  readonly ExternalId?: string;
  readonly DurationSeconds?: number;
  readonly Tags?: ReadonlyArray<{ readonly Key: string; readonly Value: string }>;
  readonly TransitiveTagKeys?: readonly string[];
  readonly SourceIdentity?: string;
}

export type StsCallOutcome = 'ok' | 'error' | 'dropped';

export interface StsCall {
  /** The requested action ('' when the request named none). */
  readonly action: string;
  readonly params: StsCallParams;
  /** The authenticated caller, when authentication got that far. */
  readonly callerArn?: string;
  readonly accessKeyId?: string;
  /** 'dropped' when an outage reset the connection or left it hanging. */
  readonly outcome: StsCallOutcome;
  readonly errorCode?: string;
  readonly status?: number;
  readonly requestId?: string;
  /** Emulator clock, milliseconds since the epoch. */
  readonly at: number;
}

export type StsCallFilter = (call: StsCall) => boolean;

/** The recorded form of a request's parameters. */
export function callParams(params: QueryParams): StsCallParams {
  const duration = params.get('DurationSeconds');
  const tags = readStructList(params, 'Tags', ['Key', 'Value']);
  const transitive = readStringList(params, 'TransitiveTagKeys');
  const pick = (name: string): Record<string, string> => {
    const value = params.get(name);
    return value === undefined ? {} : { [name]: value };
  };
  return {
    ...pick('RoleArn'),
    ...pick('RoleSessionName'),
    ...pick('ExternalId'),
    ...pick('SourceIdentity'),
    ...(duration !== undefined && /^\d+$/.test(duration) && { DurationSeconds: Number(duration) }),
    ...(tags !== undefined && { Tags: tags.map((t) => ({ Key: t.Key ?? '', Value: t.Value ?? '' })) }),
    ...(transitive !== undefined && { TransitiveTagKeys: transitive }),
  };
}

interface Waiter {
  readonly count: number;
  readonly filter: StsCallFilter;
  resolve(calls: StsCall[]): void;
  reject(err: Error): void;
}

export class CallLog {
  readonly #calls: StsCall[] = [];
  #waiters: Waiter[] = [];
  #closed = false;

  record(call: StsCall): void {
    this.#calls.push(call);
    this.#waiters = this.#waiters.filter((w) => !this.#settle(w));
  }

  all(): StsCall[] {
    return [...this.#calls];
  }

  count(action: string, filter: StsCallFilter = () => true): number {
    return this.#calls.filter((c) => c.action === action && filter(c)).length;
  }

  /** Resolves with the matching calls once at least `count` have been recorded (at once if they already were). */
  waitFor(count: number, filter: StsCallFilter): Promise<StsCall[]> {
    if (this.#closed) return Promise.reject(new Error('STS emulator closed'));
    return new Promise((resolve, reject) => {
      const waiter = { count, filter, resolve, reject };
      if (!this.#settle(waiter)) this.#waiters.push(waiter);
    });
  }

  /** Rejects pending waits. */
  close(): void {
    this.#closed = true;
    for (const w of this.#waiters) w.reject(new Error('STS emulator closed before the awaited calls arrived'));
    this.#waiters = [];
  }

  #settle(waiter: Waiter): boolean {
    const matching = this.#calls.filter(waiter.filter);
    if (matching.length < waiter.count) return false;
    waiter.resolve(matching);
    return true;
  }
}
