/**
 * Fault injection: the controls tests use (StsFaults) and the decisions the server asks for on each request.
 * Plain state, no I/O; the server applies latency and outages to sockets.
 */
import { stsError, statusOf } from './errors.js';
import type { StsError } from './errors.js';

/** 'reset' drops connections, '503' answers ServiceUnavailable, 'hang' never answers; false ends the outage. */
export type OutageMode = 'reset' | '503' | 'hang' | false;

export interface FailOptions {
  /** Only requests for this action (e.g. 'AssumeRole') fail; default every action. */
  readonly action?: string;
  readonly message?: string;
}

export interface StsFaults {
  /** The next `n` requests (for `action`, if given) fail with Throttling ("Rate exceeded", 400). */
  throttleNext(n: number, action?: string): void;
  /** Every request fails with Throttling until turned off. */
  throttleAll(on: boolean): void;
  /** AssumeRole on `roleArn` fails with `code` (AccessDenied with AWS's message by default). */
  denyRole(roleArn: string, code?: string): void;
  /** Lets `roleArn` be assumed again, overriding both denyRole and the role's configuration. */
  allowRole(roleArn: string): void;
  /** Delays every answer by `ms` (0 to stop); delays are cancelled when the emulator closes. */
  setLatency(ms: number): void;
  outage(mode: OutageMode): void;
  /** The next `n` requests (for `options.action`, if given) fail with `code` and `status` (default: AWS's). */
  failNext(n: number, code: string, status?: number, options?: FailOptions): void;
  /** Clears every fault. */
  clear(): void;
}

interface PendingFailure {
  remaining: number;
  readonly code: string;
  readonly status: number;
  readonly action?: string;
  readonly message?: string;
}

/** What the server consults per request. */
export interface FaultState {
  readonly controls: StsFaults;
  latencyMs(): number;
  outageMode(): OutageMode;
  /** The injected error for this request, if any; consumes one use of a pending failure. */
  takeInjectedError(action: string): StsError | undefined;
  /** An error code to deny `roleArn` with, 'allow', or undefined to follow configuration. */
  roleOverride(roleArn: string): string | undefined;
}

function count(n: number): number {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`expected a non-negative integer count, got ${n}`);
  return n;
}

export function createFaultState(): FaultState {
  let pending: PendingFailure[] = [];
  let throttleAll = false;
  let latency = 0;
  let outage: OutageMode = false;
  const overrides = new Map<string, string>();

  const failNext = (n: number, code: string, status?: number, options: FailOptions = {}): void => {
    if (count(n) === 0) return;
    pending.push({
      remaining: n,
      code,
      status: status ?? statusOf(code),
      ...(options.action !== undefined && { action: options.action }),
      ...(options.message !== undefined && { message: options.message }),
    });
  };

  const controls: StsFaults = {
    throttleNext: (n, action) => failNext(n, 'Throttling', undefined, action === undefined ? {} : { action }),
    throttleAll: (on) => {
      throttleAll = on;
    },
    denyRole: (roleArn, code = 'AccessDenied') => {
      overrides.set(roleArn, code);
    },
    allowRole: (roleArn) => {
      overrides.set(roleArn, 'allow');
    },
    setLatency: (ms) => {
      if (!(Number.isFinite(ms) && ms >= 0)) throw new RangeError(`latency must be a non-negative number, got ${ms}`);
      latency = ms;
    },
    outage: (mode) => {
      outage = mode;
    },
    failNext,
    clear: () => {
      pending = [];
      throttleAll = false;
      latency = 0;
      outage = false;
      overrides.clear();
    },
  };

  return {
    controls,
    latencyMs: () => latency,
    outageMode: () => outage,
    roleOverride: (roleArn) => overrides.get(roleArn),
    takeInjectedError(action) {
      const failure = pending.find((p) => p.action === undefined || p.action === action);
      if (failure) {
        failure.remaining -= 1;
        if (failure.remaining === 0) pending = pending.filter((p) => p !== failure);
        return stsError(failure.code, failure.message, failure.status);
      }
      return throttleAll ? stsError('Throttling') : undefined;
    },
  };
}
